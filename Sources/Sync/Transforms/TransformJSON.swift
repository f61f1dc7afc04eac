import Core

extension Mapping.FieldPair.Transform {
    /// Reads a field pair's transform and its options from the mapping's JSON form.
    init(
        _ f: JSONValue,
        mapping: String,
        app: String,
        odoo: String,
        zoho: [String],
        direction: Mapping.Direction
    ) throws(MappingError) {
        let name = f["transform"]?.stringValue ?? "plain"
        let fail = { (problem: String) in MappingError(description: "mapping \(mapping): field \(odoo): \(problem)") }
        if name == "name_split" {
            guard zoho.count == 2 else { throw MappingError(description: "mapping \(mapping): name_split needs two Zoho fields (first, last)") }
            self = .nameSplit
            return
        }
        guard zoho.count == 1 else { throw fail("\(name) takes one Zoho field") }
        switch name {
        case "plain":
            self = .plain
        case "selection":
            self = .selection(try Self.table(f, direction: direction, fail: fail))
        case "country":
            self = .country
        case "html":
            self = .html
        case "lookup":
            guard let other = f["mapping"]?.stringValue else {
                throw MappingError(description: "mapping \(mapping): lookup \(odoo) names no mapping")
            }
            self = .lookup(mapping: other)
        case "date":
            self = .date
        case "datetime":
            self = .datetime
        case "integer":
            self = .integer
        case "decimal":
            self = .decimal(digits: try Self.digits(f, fail: fail))
        case "currency":
            self = .decimal(digits: try Self.digits(f, fail: fail) ?? 2)
        case "boolean":
            self = .boolean
        case "many2one":
            self = .many2one(try Self.recordTable(f, direction: direction, fail: fail))
        case "tags":
            self = .tags(model: try Self.model(f, fail: fail))
        case "user":
            guard app == "crm" else { throw fail("user maps Zoho CRM's users, and \(app) has none") }
            self = .user
        default:
            throw MappingError(description: "mapping \(mapping): unknown transform \(name)")
        }
    }

    /// A value table, Odoo's value → Zoho's. A pair that reads Zoho needs one Odoo value per Zoho value.
    static func table(_ f: JSONValue, direction: Mapping.Direction, fail: (String) -> MappingError) throws(MappingError) -> [String: String] {
        guard let entries = f["values"]?.objectValue, !entries.isEmpty else {
            throw fail(#"values is a table of Odoo value → Zoho value, such as {"new": "Qualification"}"#)
        }
        var table: [String: String] = [:]
        for (key, value) in entries {
            guard let text = value.stringValue else { throw fail("the Zoho value for '\(key)' in values is not text") }
            table[key] = text
        }
        guard direction != .toZoho else { return table }
        let byZoho = Dictionary(grouping: table.keys.sorted()) { table[$0] ?? "" }
        if let shared = byZoho.filter({ $0.value.count > 1 }).min(by: { $0.key < $1.key }) {
            let keys = shared.value.map { "'\($0)'" }.joined(separator: " and ")
            throw fail("values gives Zoho's '\(shared.key)' to \(keys): read back from Zoho, each Zoho value must stand for one Odoo value")
        }
        return table
    }

    /// A many2one's table: `model`, `by` (`name` or `xml_id`) and `values`.
    static func recordTable(
        _ f: JSONValue,
        direction: Mapping.Direction,
        fail: (String) -> MappingError
    ) throws(MappingError) -> Mapping.FieldPair.RecordTable {
        let model = try Self.model(f, fail: fail)
        guard let key = Mapping.FieldPair.RecordTable.Key(rawValue: f["by"]?.stringValue ?? "name") else {
            throw fail("by is name (the record's display name) or xml_id")
        }
        let values = try table(f, direction: direction, fail: fail)
        if key == .xmlID, let bad = values.keys.sorted().first(where: { !$0.contains(".") }) {
            throw fail("'\(bad)' in values is not an xml id such as crm.stage_lead1")
        }
        return Mapping.FieldPair.RecordTable(model: model, key: key, values: values)
    }

    static func model(_ f: JSONValue, fail: (String) -> MappingError) throws(MappingError) -> String {
        guard let model = f["model"]?.stringValue, !model.isEmpty else { throw fail("model names the Odoo model of the records, such as crm.tag") }
        return model
    }

    static func digits(_ f: JSONValue, fail: (String) -> MappingError) throws(MappingError) -> Int? {
        guard let value = f["digits"] else { return nil }
        guard let digits = value.intValue, (0...12).contains(digits) else {
            throw fail("digits is a number of decimal places from 0 to 12, such as 2")
        }
        return Int(digits)
    }
}
