import Core
import Foundation

/// How one Odoo model and one Zoho module correspond: declared as data (JSON), never as code.
/// Values are compared in Odoo's terms (a string, an id, a boolean, or null for empty), so a field
/// pair is in step exactly when both sides map to the same value.
public struct Mapping: Sendable, Equatable {
    public enum Direction: String, Sendable {
        case both
        case toZoho = "to_zoho"
        case toOdoo = "to_odoo"
    }
    /// Who wins when both sides changed since the last sync.
    public enum Policy: String, Sendable { case newest, odoo, zoho }

    public struct FieldPair: Sendable, Equatable {
        /// How a pair's values cross; a value a transform cannot carry fails its record (`ConversionError`).
        public enum Transform: Sendable, Equatable {
            case plain
            /// Odoo's one `name` ↔ Zoho's first and last name (split at the last space).
            case nameSplit
            /// Odoo value ↔ Zoho value through a fixed table (Odoo's value → Zoho's).
            case selection([String: String])
            /// Odoo's `country_id` ↔ a country name in Zoho.
            case country
            /// An Odoo HTML field (`comment`) ↔ Zoho plain text.
            case html
            /// A many2one ↔ a Zoho lookup, through the bindings of another mapping.
            case lookup(mapping: String)
            /// An Odoo date ↔ a Zoho date, both `2026-12-07`.
            case date
            /// Odoo's UTC `2026-12-07 04:45:00` ↔ Zoho's `2026-12-07T10:15:00+05:30`, compared as instants.
            case datetime
            /// Whole numbers.
            case integer
            /// Numbers compared by value, rounded to `digits` decimals when given (`currency` is 2 unless said).
            case decimal(digits: Int?)
            /// An Odoo boolean ↔ a Zoho checkbox: false is a value, not empty.
            case boolean
            /// A Zoho picklist ↔ an Odoo many2one, through a table of Odoo records.
            case many2one(RecordTable)
            /// A Zoho multi-select picklist ↔ an Odoo many2many, by the records' display names, in any order.
            case tags(model: String)
            /// A Zoho user (`Owner`) ↔ an Odoo `res.users`, by email.
            case user
        }

        public let odoo: String
        public let zoho: [String]
        public let direction: Direction
        public let transform: Transform
        /// The last Odoo series whose model has the field (Odoo 19 folded a partner's `mobile` into
        /// `phone`); nil when every series has it.
        public let odooUntil: Int?
        /// Odoo keeps this field of a company's contacts equal to the company's (the address of a
        /// partner of type "contact" with a parent): on such a record the pair is not synced.
        public let odooFromParent: Bool

        var toZoho: Bool { direction != .toOdoo }
        var toOdoo: Bool { direction != .toZoho }
    }

    public let name: String
    public let odooModel: String
    /// Which records of the model belong to this mapping (an Odoo domain).
    public let odooDomain: JSONValue
    /// Values a record created in Odoo from Zoho gets besides its mapped fields.
    public let odooDefaults: [String: JSONValue]
    public let app: String
    public let object: String
    /// First linking: records with equal values here are the same record.
    public let matchOdoo: String
    public let matchZoho: String
    public let policy: Policy
    /// A record deleted in Odoo: "delete" it in Zoho too, or "keep" it.
    public let onOdooDelete: String
    /// A record deleted in Zoho: "archive" or "delete" it in Odoo, or "keep" it.
    public let onZohoDelete: String
    public private(set) var fields: [FieldPair]

    /// The mapping as it runs against an Odoo of this series: without the pairs the series lacks.
    public func fitted(to series: Int) -> Mapping {
        var copy = self
        copy.fields = fields.filter { ($0.odooUntil ?? .max) >= series }
        return copy
    }

    /// The mapping as it runs for one Odoo record (or the values of one to be created): on a contact that
    /// belongs to a company, the fields Odoo copies from the company are the company's, synced with the
    /// company's own record, so they cross neither way for the contact.
    public func forRecord(_ odoo: JSONValue) -> Mapping {
        guard fields.contains(where: \.odooFromParent), Self.followsParent(odoo) else { return self }
        var copy = self
        copy.fields = fields.filter { !$0.odooFromParent }
        return copy
    }

    /// Odoo's rule (res.partner `_fields_sync`): a partner of type "contact" (the default) with a parent
    /// has its parent's address.
    static func followsParent(_ odoo: JSONValue) -> Bool {
        let parent = odoo["parent_id"] ?? .null
        let type = odoo["type"]?.stringValue ?? "contact"
        return !parent.isNull && parent != false && type == "contact"
    }

    /// Every Odoo field the mapping reads.
    public var odooFields: [String] {
        let parentRule = fields.contains(where: \.odooFromParent) ? ["parent_id", "type"] : []
        return Array(Set(fields.map(\.odoo) + [matchOdoo, "write_date", "active"] + parentRule)).sorted()
    }
    /// Every Zoho field the mapping reads.
    public var zohoFields: [String] { Array(Set(fields.flatMap(\.zoho) + [matchZoho, "Modified_Time"])).sorted() }
}

extension Mapping {
    /// The identity of a mapping without its fields, for bindings made by hand.
    public static func adHoc(model: String, app: String, object: String) -> Mapping {
        Mapping(
            name: "manual",
            odooModel: model,
            odooDomain: [],
            odooDefaults: [:],
            app: app,
            object: object,
            matchOdoo: "id",
            matchZoho: "id",
            policy: .newest,
            onOdooDelete: "keep",
            onZohoDelete: "keep",
            fields: []
        )
    }
}

public struct MappingError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension Mapping {
    /// Reads a mapping from its JSON form (see `BuiltinMappings` for examples).
    public init(json: JSONValue) throws {
        func text(_ key: String, default value: String? = nil) throws -> String {
            guard let s = json[key]?.stringValue ?? value else {
                throw MappingError(description: "mapping \(json["name"]?.stringValue ?? "?"): \(key) is required")
            }
            return s
        }
        name = try text("name")
        odooModel = try text("odoo_model")
        odooDomain = json["odoo_domain"] ?? []
        odooDefaults = json["odoo_defaults"]?.objectValue ?? [:]
        app = try text("app")
        object = try text("object")
        matchOdoo = try text("match_odoo")
        matchZoho = try text("match_zoho")
        guard let policy = Policy(rawValue: try text("conflict", default: "newest")) else {
            throw MappingError(description: "mapping \(name): conflict must be newest, odoo or zoho")
        }
        self.policy = policy
        onOdooDelete = try text("on_odoo_delete", default: "delete")
        onZohoDelete = try text("on_zoho_delete", default: "archive")
        guard ["delete", "keep"].contains(onOdooDelete), ["archive", "delete", "keep"].contains(onZohoDelete) else {
            throw MappingError(description: "mapping \(name): on_odoo_delete is delete or keep; on_zoho_delete is archive, delete or keep")
        }
        var pairs: [FieldPair] = []
        for f in json["fields"]?.arrayValue ?? [] {
            guard let odoo = f["odoo"]?.stringValue else { throw MappingError(description: "mapping \(name): a field pair without odoo") }
            let zoho = f["zoho"]?.arrayValue?.compactMap(\.stringValue) ?? f["zoho"]?.stringValue.map { [$0] } ?? []
            guard !zoho.isEmpty else { throw MappingError(description: "mapping \(name): field \(odoo) has no zoho side") }
            guard let direction = Direction(rawValue: f["direction"]?.stringValue ?? "both") else {
                throw MappingError(description: "mapping \(name): field \(odoo): direction is both, to_zoho or to_odoo")
            }
            let transform = try FieldPair.Transform(f, mapping: name, app: app, odoo: odoo, zoho: zoho, direction: direction)
            var until: Int?
            if let value = f["odoo_until"] {
                guard let major = value.intValue else {
                    throw MappingError(description: "mapping \(name): field \(odoo): odoo_until is an Odoo major version, such as 18")
                }
                until = Int(major)
            }
            guard let fromParent = (f["odoo_from_parent"] ?? false).boolValue else {
                throw MappingError(description: "mapping \(name): field \(odoo): odoo_from_parent is true or false")
            }
            pairs.append(FieldPair(odoo: odoo, zoho: zoho, direction: direction, transform: transform, odooUntil: until, odooFromParent: fromParent))
        }
        guard !pairs.isEmpty else { throw MappingError(description: "mapping \(name) maps no field") }
        fields = pairs
    }
}

/// The mappings shipped with the sidecar: partners with CRM Accounts and Contacts, and with Books contacts;
/// and, switched off until a person switches them on, CRM leads with Leads, opportunities with Deals,
/// products with CRM Products and with Books items.
/// Each instance gets its own copy as records (`MappingBook`), which a person edits; these stay as shipped.
public enum BuiltinMappings {
    public static let json = """
        [
          {
            "name": "crm_accounts", "odoo_model": "res.partner", "odoo_domain": [["is_company", "=", true]],
            "odoo_defaults": {"is_company": true}, "app": "crm", "object": "Accounts",
            "match_odoo": "name", "match_zoho": "Account_Name", "conflict": "newest",
            "on_odoo_delete": "delete", "on_zoho_delete": "archive",
            "fields": [
              {"odoo": "name", "zoho": "Account_Name"},
              {"odoo": "phone", "zoho": "Phone"},
              {"odoo": "website", "zoho": "Website"},
              {"odoo": "street", "zoho": "Billing_Street"},
              {"odoo": "city", "zoho": "Billing_City"},
              {"odoo": "zip", "zoho": "Billing_Code"},
              {"odoo": "country_id", "zoho": "Billing_Country", "transform": "country"},
              {"odoo": "comment", "zoho": "Description", "transform": "html", "direction": "to_zoho"}
            ]
          },
          {
            "name": "crm_contacts", "odoo_model": "res.partner", "odoo_domain": [["is_company", "=", false]],
            "odoo_defaults": {"is_company": false}, "app": "crm", "object": "Contacts",
            "match_odoo": "email", "match_zoho": "Email", "conflict": "newest",
            "on_odoo_delete": "delete", "on_zoho_delete": "archive",
            "fields": [
              {"odoo": "name", "zoho": ["First_Name", "Last_Name"], "transform": "name_split"},
              {"odoo": "email", "zoho": "Email"},
              {"odoo": "phone", "zoho": "Phone"},
              {"odoo": "mobile", "zoho": "Mobile", "odoo_until": 18},
              {"odoo": "function", "zoho": "Title"},
              {"odoo": "parent_id", "zoho": "Account_Name", "transform": "lookup", "mapping": "crm_accounts"},
              {"odoo": "street", "zoho": "Mailing_Street", "odoo_from_parent": true},
              {"odoo": "city", "zoho": "Mailing_City", "odoo_from_parent": true},
              {"odoo": "zip", "zoho": "Mailing_Zip", "odoo_from_parent": true},
              {"odoo": "country_id", "zoho": "Mailing_Country", "transform": "country", "odoo_from_parent": true}
            ]
          },
          {
            "name": "books_contacts", "odoo_model": "res.partner", "odoo_domain": [],
            "app": "books", "object": "contact",
            "match_odoo": "name", "match_zoho": "contact_name", "conflict": "newest",
            "on_odoo_delete": "keep", "on_zoho_delete": "keep",
            "fields": [
              {"odoo": "name", "zoho": "contact_name"},
              {"odoo": "email", "zoho": "email"},
              {"odoo": "phone", "zoho": "phone"},
              {"odoo": "website", "zoho": "website"},
              {"odoo": "is_company", "zoho": "customer_sub_type", "transform": "selection", "values": {"true": "business", "false": "individual"}, "direction": "to_zoho"}
            ]
          },
          {
            "name": "crm_leads", "active": false, "odoo_model": "crm.lead", "odoo_domain": [["type", "=", "lead"]],
            "odoo_defaults": {"type": "lead"}, "app": "crm", "object": "Leads",
            "match_odoo": "email_from", "match_zoho": "Email", "conflict": "newest",
            "on_odoo_delete": "keep", "on_zoho_delete": "archive",
            "fields": [
              {"odoo": "name", "zoho": ["First_Name", "Last_Name"], "transform": "name_split"},
              {"odoo": "partner_name", "zoho": "Company"},
              {"odoo": "email_from", "zoho": "Email"},
              {"odoo": "phone", "zoho": "Phone"},
              {"odoo": "description", "zoho": "Description", "transform": "html"}
            ]
          },
          {
            "name": "crm_deals", "active": false, "odoo_model": "crm.lead", "odoo_domain": [["type", "=", "opportunity"]],
            "odoo_defaults": {"type": "opportunity"}, "app": "crm", "object": "Deals",
            "match_odoo": "name", "match_zoho": "Deal_Name", "conflict": "newest",
            "on_odoo_delete": "keep", "on_zoho_delete": "archive",
            "fields": [
              {"odoo": "name", "zoho": "Deal_Name"},
              {"odoo": "expected_revenue", "zoho": "Amount", "transform": "currency"},
              {"odoo": "date_deadline", "zoho": "Closing_Date", "transform": "date"},
              {"odoo": "stage_id", "zoho": "Stage", "transform": "many2one", "model": "crm.stage", "by": "xml_id",
               "values": {"crm.stage_lead1": "Qualification", "crm.stage_lead2": "Needs Analysis",
                          "crm.stage_lead3": "Proposal/Price Quote", "crm.stage_lead4": "Closed Won"}}
            ]
          },
          {
            "name": "crm_products", "active": false, "odoo_model": "product.template", "odoo_domain": [["sale_ok", "=", true]],
            "app": "crm", "object": "Products",
            "match_odoo": "name", "match_zoho": "Product_Name", "conflict": "newest",
            "on_odoo_delete": "keep", "on_zoho_delete": "archive",
            "fields": [
              {"odoo": "name", "zoho": "Product_Name"},
              {"odoo": "default_code", "zoho": "Product_Code"},
              {"odoo": "list_price", "zoho": "Unit_Price", "transform": "currency"},
              {"odoo": "description_sale", "zoho": "Description"}
            ]
          },
          {
            "name": "books_items", "active": false, "odoo_model": "product.template", "odoo_domain": [["sale_ok", "=", true]],
            "odoo_defaults": {"sale_ok": true}, "app": "books", "object": "item",
            "match_odoo": "name", "match_zoho": "name", "conflict": "newest",
            "on_odoo_delete": "keep", "on_zoho_delete": "archive",
            "fields": [
              {"odoo": "name", "zoho": "name"},
              {"odoo": "default_code", "zoho": "sku"},
              {"odoo": "list_price", "zoho": "rate", "transform": "currency"},
              {"odoo": "description_sale", "zoho": "description"}
            ]
          }
        ]
        """

    /// Each shipped mapping's JSON form: what `MappingBook` copies in for every instance.
    // The shipped text is part of the build; a mistake in it must stop the tests, not a customer's sync.
    public static let list: [JSONValue] = try! JSONValue.parse(json).arrayValue!

    public static let all: [Mapping] = list.map { try! Mapping(json: $0) }

    /// Those an instance runs from the start; the others (leads, deals, products, items) wait to be switched on.
    public static let active: [Mapping] = zip(list, all).filter { $0.0["active"]?.boolValue != false }.map(\.1)

    public static func named(_ name: String) -> Mapping? { all.first { $0.name == name } }
}
