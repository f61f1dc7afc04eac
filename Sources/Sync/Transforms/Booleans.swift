import Core

/// An Odoo boolean ↔ a Zoho checkbox. False is a value here, not empty: an unticked box is false on
/// both sides, whether Zoho says false or leaves the field out.
enum Booleans {
    static func value(_ raw: JSONValue, _ c: Conversion) throws(ConversionError) -> JSONValue {
        switch raw {
        case .bool(let flag):
            return .bool(flag)
        case .null:
            return false
        case .string("true"):
            return true
        case .string("false"):
            return false
        default:
            throw c.failure(raw, .notABoolean)
        }
    }
}
