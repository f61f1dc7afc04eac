import Core
import Foundation

/// What Books' contacts and items differ in: names, columns, checks, scope and messages. Everything
/// else (the envelope, limits, paging, webhooks, custom fields) they share.
enum BooksEntity: String, CaseIterable, Codable, Sendable {
    case contact
    case item

    /// The entity served under a path segment (`contacts`, `items`).
    init?(plural: String) {
        guard let entity = Self.allCases.first(where: { $0.plural == plural }) else { return nil }
        self = entity
    }

    /// The path segment and the key of a list's records.
    var plural: String { rawValue + "s" }

    var idField: String { rawValue + "_id" }

    /// The column a record is named by: required on create, one record per name.
    var nameField: String { self == .contact ? "contact_name" : "name" }

    /// The scope family: items are among the settings in Books' scope list (items page: "OAuth Scope :
    /// ZohoBooks.settings.CREATE").
    var scope: String { self == .contact ? "CONTACTS" : "SETTINGS" }

    /// The columns a write may set; others are ignored.
    var writable: Set<String> {
        switch self {
        case .contact:
            [
                "contact_name", "company_name", "contact_type", "customer_sub_type", "email", "phone", "mobile", "website",
                "billing_address", "shipping_address", "notes", "status", "first_name", "last_name",
            ]
        case .item:
            [
                "name", "rate", "description", "sku", "unit", "product_type", "item_type", "is_taxable", "tax_id", "account_id",
                "purchase_rate", "purchase_description",
            ]
        }
    }

    /// Columns answered as "" when unset [?], so that a list page carries whole records.
    var listed: [String] {
        switch self {
        case .contact: ["company_name", "email", "phone", "mobile", "website", "first_name", "last_name"]
        case .item: ["description", "sku", "unit"]
        }
    }

    /// What Books answers for a column a write left out: contacts are customers; an item's type is
    /// `sales` unless said (items page).
    var defaults: [String: JSONValue] {
        switch self {
        case .contact: ["contact_type": "customer", "status": "active"]
        case .item: ["item_type": "sales", "status": "active"]
        }
    }

    /// Required on create, and never blank afterwards: the documented columns marked mandatory (an
    /// item's name and rate: items page, "Create an Item").
    var required: [String] { (SimState.booksStandardFields[rawValue] ?? []).filter(\.2).map(\.0) }

    /// Columns that take one of a list of values. Books keeps the person/company distinction of
    /// contacts in customer_sub_type (facts: Books contacts).
    var choices: [String: [String]] {
        switch self {
        case .contact:
            ["contact_type": ["customer", "vendor"], "customer_sub_type": ["business", "individual"]]
        case .item:
            [
                "product_type": ["goods", "service", "digital_service", "capital_service", "capital_goods"],
                "item_type": ["sales", "purchases", "sales_and_purchases", "inventory"],
            ]
        }
    }

    /// Columns that are numbers (`double` on the items page), as JSON numbers.
    var numbers: Set<String> { self == .contact ? [] : ["rate", "purchase_rate"] }

    /// Maximum lengths the items page gives (name 100, description 2000).
    var lengths: [String: Int] { self == .contact ? [:] : ["name": 100, "description": 2000] }

    /// The list's filter when a call names none: items lists show the active ones (Zoho Billing's items
    /// page, "List items: all active items"; a third-party Books client says the same [?]).
    var defaultFilter: String { self == .contact ? "Status.All" : "Status.Active" }

    var reportName: String { self == .contact ? "Contacts" : "Items" }

    var added: String { "The \(rawValue) has been added." }

    var saved: String { self == .contact ? "Contact information has been saved." : "The item details have been saved." }

    var deleted: String { "The \(rawValue) has been deleted." }

    /// A record that is not there: contacts as Books' errors page has it (1002); items as the items
    /// pages of Zoho Invoice and Billing, Books' siblings, list it (2006) [?].
    var missing: SimState.BooksRefusal {
        switch self {
        case .contact: SimState.BooksRefusal(code: 1002, message: "Contact does not exist.", status: 404)
        case .item: SimState.BooksRefusal(code: 2006, message: "Item does not exist.", status: 404)
        }
    }

    /// A second record of the same name: items as the Invoice and Billing items pages list it (1000) [?].
    func duplicate(_ name: String) -> SimState.BooksRefusal {
        switch self {
        case .contact: SimState.BooksRefusal(code: 3062, message: "The contact name \"\(name)\" is already used by another contact.")
        case .item: SimState.BooksRefusal(code: 1000, message: "The item name already exist")
        }
    }

    /// The first thing wrong with a write's values, in Books' words: code 4, "Invalid value passed
    /// for …", as for its other invalid values.
    func refusal(_ object: [String: JSONValue], creating: Bool) -> SimState.BooksRefusal? {
        let invalid = { (field: String) in SimState.BooksRefusal(code: 4, message: "Invalid value passed for \(field)") }
        for field in required where creating || object[field] != nil {
            let value = object[field] ?? .null
            if value.isNull || value.stringValue?.trimmingCharacters(in: .whitespaces).isEmpty == true { return invalid(field) }
        }
        for (field, value) in object.sorted(by: { $0.key < $1.key }) where !value.isNull {
            if let allowed = choices[field], !allowed.contains(value.stringValue ?? "") { return invalid(field) }
            if numbers.contains(field), value.doubleValue == nil { return invalid(field) }
            if let length = lengths[field], (value.stringValue?.count ?? 0) > length { return invalid(field) }
        }
        return nil
    }
}
