import Core
import OdooRPC

/// Why Zoho or Odoo refused one record, in words a person can act on: the field in both sides' terms
/// and what to change, with Zoho's own code kept for whoever talks to Zoho's support.
public struct Refusal: Sendable, Equatable {
    /// Zoho's code (`DUPLICATE_DATA`, Books' numeric codes); nil for Odoo.
    public var code: String?
    /// The Zoho field it concerns, when Zoho names one.
    public var field: String?
    /// The Zoho record that already holds the value, when Zoho says (newer CRM versions do).
    public var duplicateID: String?
    public var message: String

    public init(code: String?, field: String? = nil, duplicateID: String? = nil, message: String) {
        self.code = code
        self.field = field
        self.duplicateID = duplicateID
        self.message = message
    }

    /// A CRM per-record error (`{"code", "message", "details": {"api_name", "expected_data_type", …}}`).
    static func crm(_ row: JSONValue, _ m: Mapping) -> Refusal {
        let code = row["code"]?.stringValue ?? "ERROR"
        let details = row["details"]
        let field = details?["api_name"]?.stringValue
        let holder = details?["duplicate_record"]?["id"]?.stringValue
        let named = field.map { m.label(zoho: $0) }
        let text: String
        switch (code, named) {
        case ("DUPLICATE_DATA", let named?):
            let which = holder.map { " (Zoho record \($0))" } ?? ""
            text =
                "Zoho already has another record in \(m.object) with this \(named)\(which), and compares it ignoring letter case: "
                + "change the value in Odoo, or change or merge the other record in Zoho"
        case ("INVALID_DATA", let named?) where details?["maximum_length"]?.intValue != nil:
            let maximum = details?["maximum_length"]?.intValue ?? 0
            text =
                "Zoho refuses the value of \(named): it is longer than the field takes in Zoho (\(maximum) characters, digits for a number). "
                + "Shorten it in Odoo, or lengthen the field in Zoho"
        case ("INVALID_DATA", let named?):
            let expected = details?["expected_data_type"]?.stringValue ?? ""
            text = "Zoho refuses the value of \(named): it expects \(Self.expectation(expected)). Correct it in Odoo or in Zoho"
        case ("INVALID_DATA", nil) where details?["id"] != nil:
            text = "Zoho no longer has this record (it may have been deleted or merged there)"
        case ("MANDATORY_NOT_FOUND", let named?):
            text = "Zoho requires \(named), which is empty: fill it in"
        default:
            text = "Zoho refused the record: \(row["message"]?.stringValue ?? "no reason given")"
        }
        return Refusal(code: code, field: field, duplicateID: holder, message: "\(text) (Zoho: \(code))")
    }

    /// A Books refusal: its messages are already written for people (`The contact name already exists`).
    static func books(code: String, message: String) -> Refusal {
        Refusal(code: code, message: "Zoho Books refused the record: \(message) (Zoho Books code \(code))")
    }

    /// Odoo's own refusal (a constraint, a required field): its message is Odoo's, meant for its users.
    static func odoo(_ fault: OdooFault) -> Refusal {
        Refusal(code: nil, message: "Odoo refused the record: \(fault.message)")
    }

    /// A record Zoho answered for with neither an id nor an error.
    static let noResult = Refusal(code: nil, message: "Zoho gave no result for this record: it is tried again with the next change")

    static func expectation(_ type: String) -> String {
        switch type {
        case "email": "a valid email address, such as name@example.com"
        case "text", "textarea": "text within Zoho's length limit for the field"
        case "phone": "a phone number"
        case "website": "a web address"
        case "lookup": "a record Zoho has"
        case "picklist": "one of the field's choices in Zoho"
        case "date": "a date"
        case "currency", "double", "integer": "a number"
        case "": "another value"
        default: "a value of type \(type)"
        }
    }
}

extension Mapping {
    /// A Zoho field as a person finds it on both sides: `email (Email in Zoho)`.
    func label(zoho field: String) -> String {
        let odoo = fields.first { $0.zoho.contains(field) }?.odoo ?? (matchZoho == field ? matchOdoo : nil)
        return odoo.map { "\($0) (\(field) in Zoho)" } ?? "\(field) in Zoho"
    }
}
