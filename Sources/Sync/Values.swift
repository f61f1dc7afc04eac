import Core
import Crypto
import Foundation

/// What the transforms need to resolve references: countries by id and name, the bindings of other
/// mappings (a contact's company), Odoo records by display name or xml id, and both sides' users.
public struct Lookups: Sendable {
    var countryName: [Int64: String] = [:]
    var countryID: [String: Int64] = [:]
    /// mapping name → Odoo id → Zoho id, and back.
    var zohoIDs: [String: [Int64: String]] = [:]
    var odooIDs: [String: [String: Int64]] = [:]
    /// Odoo records found by key, per `RecordTable.index` ("crm.stage by name").
    var records: [String: RecordIndex] = [:]
    /// model → id → display name of the records the records at hand point to, for messages.
    var displayNames: [String: [Int64: String]] = [:]
    var users = UserDirectory()

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
/// an id, a number, a boolean, a sorted list of ids, or null for empty (Odoo's `false` on a field that
/// is not boolean, Zoho's null or ""). A value a pair cannot convert throws, and fails its record.
enum Values {
    /// The Odoo record's value for a pair, normalised.
    static func odooSide(_ pair: Mapping.FieldPair, _ record: JSONValue) throws(ConversionError) -> JSONValue {
        let raw = record[pair.odoo] ?? .null
        let c = Conversion(pair: pair, side: .odoo)
        switch pair.transform {
        case .country, .lookup, .many2one, .user:
            return raw.arrayValue?.first ?? (raw.intValue.map { .int($0) } ?? .null)
        case .selection(let table):
            return Picklists.odooSelection(raw, table)
        case .nameSplit:
            guard let name = raw.stringValue else { return .null }
            return empty(.string(words(name).joined(separator: " ")))
        case .html:
            guard let html = raw.stringValue else { return .null }
            return empty(.string(HTMLText.plain(html)))
        case .date, .integer, .decimal, .boolean:
            return try scalar(pair.transform, raw, c)
        case .datetime:
            return try Dates.odooDateTime(raw, c)
        case .tags:
            return Picklists.odooTags(raw)
        case .plain:
            return empty(raw)
        }
    }

    /// The Zoho record's value for a pair, in Odoo's terms.
    static func zohoSide(_ pair: Mapping.FieldPair, _ record: JSONValue, _ lookups: Lookups) throws(ConversionError) -> JSONValue {
        let raw = record[pair.zoho[0]] ?? .null
        let c = Conversion(pair: pair, side: .zoho)
        switch pair.transform {
        case .plain, .html:
            return empty(raw)
        case .nameSplit:
            let parts = pair.zoho.flatMap { record[$0]?.stringValue.map(words) ?? [] }
            return parts.isEmpty ? .null : .string(parts.joined(separator: " "))
        case .selection(let table):
            return try Picklists.zohoSelection(raw, table, c)
        case .country:
            guard let name = empty(raw).stringValue, let id = lookups.countryID[name.lowercased()] else { return .null }
            return .int(id)
        case .lookup(let mapping):
            guard let zid = raw["id"]?.stringValue ?? raw.stringValue, let id = lookups.odooIDs[mapping]?[zid] else { return .null }
            return .int(id)
        case .date, .integer, .decimal, .boolean:
            return try scalar(pair.transform, raw, c)
        case .datetime:
            return try Dates.zohoDateTime(raw, c)
        case .many2one(let table):
            return try Picklists.zohoRecord(raw, table, lookups, c)
        case .tags(let model):
            return try Picklists.zohoTags(raw, model: model, lookups, c)
        case .user:
            return try lookups.users.odooUser(raw, c)
        }
    }

    /// A date, number or boolean: read the same way on both sides.
    static func scalar(_ transform: Mapping.FieldPair.Transform, _ raw: JSONValue, _ c: Conversion) throws(ConversionError) -> JSONValue {
        switch transform {
        case .date: try Dates.date(raw, c)
        case .integer: try Numbers.integer(raw, c)
        case .decimal(let digits): try Numbers.decimal(raw, digits: digits, c)
        case .boolean: try Booleans.value(raw, c)
        default: empty(raw)
        }
    }

    /// Zoho fields to write so that Zoho holds `value` (in Odoo's terms) for the pair.
    static func toZoho(_ pair: Mapping.FieldPair, _ value: JSONValue, _ lookups: Lookups) throws(ConversionError) -> [String: JSONValue] {
        let field = pair.zoho[0]
        let c = Conversion(pair: pair, side: .odoo)
        switch pair.transform {
        case .plain, .html, .date, .integer, .decimal, .boolean:
            return [field: value]
        case .nameSplit:
            // The last word is the last name, which Zoho requires; the words before it the first name.
            let all = words(value.stringValue ?? "")
            guard let last = all.last else { return [pair.zoho[0]: .null, pair.zoho[1]: .null] }
            let first = all.dropLast().joined(separator: " ")
            return [pair.zoho[0]: first.isEmpty ? .null : .string(first), pair.zoho[1]: .string(last)]
        case .selection(let table):
            return [field: try Picklists.toZohoSelection(value, table, c)]
        case .country:
            return [field: value.intValue.flatMap { lookups.countryName[$0] }.map { .string($0) } ?? .null]
        case .lookup(let mapping):
            return [field: value.intValue.flatMap { lookups.zohoIDs[mapping]?[$0] }.map { ["id": .string($0)] } ?? .null]
        case .datetime:
            return [field: Dates.toZoho(value)]
        case .many2one(let table):
            return [field: try Picklists.toZohoRecord(value, table, lookups, c)]
        case .tags(let model):
            return [field: try Picklists.toZohoTags(value, model: model, lookups, c)]
        case .user:
            return [field: try lookups.users.zohoUser(value, c)]
        }
    }

    /// The Odoo value to write so that Odoo holds `value` for the pair (`false` for empty, as Odoo wants).
    static func toOdoo(_ pair: Mapping.FieldPair, _ value: JSONValue) -> JSONValue {
        // Odoo's Command.set: the many2many holds exactly these records, none when empty.
        if case .tags = pair.transform { return [[6, 0, .array(value.arrayValue ?? [])]] }
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
