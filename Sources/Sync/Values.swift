import Core
import Crypto
import Foundation

/// What the transforms need to resolve references: countries by id and name, and the bindings of
/// other mappings (a contact's company).
public struct Lookups: Sendable {
    var countryName: [Int64: String] = [:]
    var countryID: [String: Int64] = [:]
    /// mapping name → Odoo id → Zoho id, and back.
    var zohoIDs: [String: [Int64: String]] = [:]
    var odooIDs: [String: [String: Int64]] = [:]

    public init(
        countryName: [Int64: String] = [:],
        countryID: [String: Int64] = [:],
        zohoIDs: [String: [Int64: String]] = [:],
        odooIDs: [String: [String: Int64]] = [:]
    ) {
        self.countryName = countryName
        self.countryID = countryID
        self.zohoIDs = zohoIDs
        self.odooIDs = odooIDs
    }
}

/// Converts field values between the two sides. Every comparison happens in Odoo's terms: a string,
/// an id, a boolean, or null for empty (Odoo's `false` on a non-boolean field, Zoho's null or "").
enum Values {
    /// The Odoo record's value for a pair, normalised.
    static func odooSide(_ pair: Mapping.FieldPair, _ record: JSONValue) -> JSONValue {
        let raw = record[pair.odoo] ?? .null
        switch pair.transform {
        case .country, .lookup: return raw.arrayValue?.first ?? (raw.intValue.map { .int($0) } ?? .null)
        case .selection: return raw.boolValue.map { .bool($0) } ?? empty(raw)
        case .nameSplit:
            guard let name = raw.stringValue else { return .null }
            return empty(.string(words(name).joined(separator: " ")))
        case .html:
            guard let html = raw.stringValue else { return .null }
            return empty(.string(HTMLText.plain(html)))
        default: return empty(raw)
        }
    }

    /// The Zoho record's value for a pair, in Odoo's terms.
    static func zohoSide(_ pair: Mapping.FieldPair, _ record: JSONValue, _ lookups: Lookups) -> JSONValue {
        switch pair.transform {
        case .plain, .html:
            return empty(record[pair.zoho[0]] ?? .null)
        case .nameSplit:
            let parts = pair.zoho.flatMap { record[$0]?.stringValue.map(words) ?? [] }
            return parts.isEmpty ? .null : .string(parts.joined(separator: " "))
        case .selection(let table):
            guard let z = empty(record[pair.zoho[0]] ?? .null).stringValue, let key = table.first(where: { $0.value == z })?.key else { return .null }
            return key == "true" ? true : key == "false" ? false : .string(key)
        case .country:
            guard let name = empty(record[pair.zoho[0]] ?? .null).stringValue, let id = lookups.countryID[name.lowercased()] else { return .null }
            return .int(id)
        case .lookup(let mapping):
            let value = record[pair.zoho[0]] ?? .null
            guard let zid = value["id"]?.stringValue ?? value.stringValue, let id = lookups.odooIDs[mapping]?[zid] else { return .null }
            return .int(id)
        }
    }

    /// Zoho fields to write so that Zoho holds `value` (in Odoo's terms) for the pair.
    static func toZoho(_ pair: Mapping.FieldPair, _ value: JSONValue, _ lookups: Lookups) -> [String: JSONValue] {
        switch pair.transform {
        case .plain, .html:
            return [pair.zoho[0]: value]
        case .nameSplit:
            // The last word is the last name, which Zoho requires; the words before it the first name.
            let all = words(value.stringValue ?? "")
            guard let last = all.last else { return [pair.zoho[0]: .null, pair.zoho[1]: .null] }
            let first = all.dropLast().joined(separator: " ")
            return [pair.zoho[0]: first.isEmpty ? .null : .string(first), pair.zoho[1]: .string(last)]
        case .selection(let table):
            let key = value.boolValue.map { $0 ? "true" : "false" } ?? value.stringValue ?? ""
            return [pair.zoho[0]: table[key].map { .string($0) } ?? .null]
        case .country:
            return [pair.zoho[0]: value.intValue.flatMap { lookups.countryName[$0] }.map { .string($0) } ?? .null]
        case .lookup(let mapping):
            return [pair.zoho[0]: value.intValue.flatMap { lookups.zohoIDs[mapping]?[$0] }.map { ["id": .string($0)] } ?? .null]
        }
    }

    /// The Odoo value to write so that Odoo holds `value` for the pair (`false` for empty, as Odoo wants).
    static func toOdoo(_ pair: Mapping.FieldPair, _ value: JSONValue) -> JSONValue {
        if value.isNull { return false }
        if pair.transform == .html, let text = value.stringValue { return .string(HTMLText.html(text)) }
        return value
    }

    /// A name's words: leading, trailing and repeated spaces (and tabs, newlines) carry no meaning.
    static func words(_ name: String) -> [String] {
        name.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    static func empty(_ v: JSONValue) -> JSONValue {
        if v == false || v.isNull { return .null }
        if let s = v.stringValue, s.trimmingCharacters(in: .whitespaces).isEmpty { return .null }
        return v
    }

    /// The SHA-256 of the values both sides agree on, keyed by Odoo field: stored on the binding.
    static func hash(_ values: [String: JSONValue]) -> String {
        SHA256.hash(data: JSONValue.object(values).serializedBytes()).hex
    }
}
