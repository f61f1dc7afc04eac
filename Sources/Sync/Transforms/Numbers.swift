import Core
import Foundation

/// Numbers as either side writes them (a JSON number, or text holding one), compared by value: Zoho's
/// 12.5 and Odoo's "12.50" are one value. Odoo has no empty number (it reads 0); Zoho's empty is null.
enum Numbers {
    /// A whole number.
    static func integer(_ raw: JSONValue, _ c: Conversion) throws(ConversionError) -> JSONValue {
        switch Values.empty(raw) {
        case .null:
            return .null
        case .int(let i):
            return .int(i)
        case .double(let d) where d == d.rounded() && abs(d) < 9e15:
            return .int(Int64(d))
        case .string(let s):
            guard let i = Int64(s.trimmingCharacters(in: .whitespaces)) else { throw c.failure(raw, .notAnInteger) }
            return .int(i)
        default:
            throw c.failure(raw, .notAnInteger)
        }
    }

    /// A number, rounded half away from zero to `digits` decimals when given.
    static func decimal(_ raw: JSONValue, digits: Int?, _ c: Conversion) throws(ConversionError) -> JSONValue {
        let text: String
        switch Values.empty(raw) {
        case .null:
            return .null
        case .int(let i):
            text = String(i)
        case .double(let d):
            // Swift prints the shortest text that reads back as the same double: 0.1, not 0.1000000000000000055.
            text = "\(d)"
        case .string(let s):
            text = s.trimmingCharacters(in: .whitespaces)
        default:
            throw c.failure(raw, .notANumber)
        }
        // Plain decimal notation only: Double() alone would also take "nan", "inf" and hexadecimal.
        guard text.allSatisfy({ "0123456789+-.eE".contains($0) }), Double(text)?.isFinite == true, var number = Decimal(string: text) else {
            throw c.failure(raw, .notANumber)
        }
        if let digits {
            var rounded = Decimal()
            NSDecimalRound(&rounded, &number, digits, .plain)
            number = rounded
        }
        guard let value = Double(number.description) else { throw c.failure(raw, .notANumber) }
        return .double(value)
    }
}
