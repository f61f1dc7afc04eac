import Core

/// Zoho picklists: to an Odoo selection through a value table, to an Odoo many2one through a table of
/// records, and multi-select picklists to an Odoo many2many by the records' names. A value outside the
/// table, or a name Odoo does not have, fails its record: it never crosses as empty.
enum Picklists {
    /// Odoo's selection value. A table over a boolean (`is_company`) keeps false as a value; on any other
    /// field false is Odoo's empty.
    static func odooSelection(_ raw: JSONValue, _ table: [String: String]) -> JSONValue {
        if let flag = raw.boolValue, table[String(flag)] != nil { return .bool(flag) }
        return Values.empty(raw)
    }

    /// Zoho's picklist value as the Odoo value the table gives it.
    static func zohoSelection(_ raw: JSONValue, _ table: [String: String], _ c: Conversion) throws(ConversionError) -> JSONValue {
        let value = Values.empty(raw)
        if value.isNull { return .null }
        guard let text = value.stringValue, let key = key(text, in: table) else { throw c.failure(raw, .notInTable) }
        switch key {
        case "true": return true
        case "false": return false
        default: return .string(key)
        }
    }

    /// The Zoho picklist value the table gives Odoo's value.
    static func toZohoSelection(_ value: JSONValue, _ table: [String: String], _ c: Conversion) throws(ConversionError) -> JSONValue {
        if value.isNull { return .null }
        let key = value.boolValue.map { String($0) } ?? value.stringValue ?? value.serialized()
        guard let zoho = table[key] else { throw c.failure(value, .notInTable) }
        return .string(zoho)
    }

    /// Zoho's picklist value as the id of the Odoo record the table gives it.
    static func zohoRecord(
        _ raw: JSONValue,
        _ table: Mapping.FieldPair.RecordTable,
        _ lookups: Lookups,
        _ c: Conversion
    ) throws(ConversionError) -> JSONValue {
        let value = Values.empty(raw)
        if value.isNull { return .null }
        guard let text = value.stringValue, let key = key(text, in: table.values) else { throw c.failure(raw, .notInTable) }
        guard let id = lookups.records[table.index]?.ids[key] else { throw c.failure(raw, .tableEntryMissing(model: table.model, key: key)) }
        return .int(id)
    }

    /// The Zoho picklist value the table gives the Odoo record with this id.
    static func toZohoRecord(
        _ value: JSONValue,
        _ table: Mapping.FieldPair.RecordTable,
        _ lookups: Lookups,
        _ c: Conversion
    ) throws(ConversionError) -> JSONValue {
        guard let id = value.intValue else { return .null }
        guard let key = lookups.records[table.index]?.keys[id], let zoho = table.values[key] else {
            throw c.failure(.string(lookups.displayName(table.model, id)), .notInTable)
        }
        return .string(zoho)
    }

    /// Odoo's many2many ids, sorted: their order carries no meaning. None is empty.
    static func odooTags(_ raw: JSONValue) -> JSONValue {
        let ids = Set(raw.arrayValue?.compactMap(\.intValue) ?? []).sorted()
        return ids.isEmpty ? .null : .array(ids.map { .int($0) })
    }

    /// Zoho's multi-select values as the sorted ids of the Odoo records of those names.
    static func zohoTags(_ raw: JSONValue, model: String, _ lookups: Lookups, _ c: Conversion) throws(ConversionError) -> JSONValue {
        if Values.empty(raw).isNull { return .null }
        guard let values = raw.arrayValue else { throw c.failure(raw, .notAList) }
        var ids = Set<Int64>()
        for value in values {
            guard let name = value.stringValue else { throw c.failure(raw, .notAList) }
            guard let id = lookups.records[Mapping.FieldPair.RecordTable.index(model, .name)]?.ids[name] else {
                throw c.failure(value, .notInOdoo(model: model))
            }
            ids.insert(id)
        }
        return ids.isEmpty ? .null : .array(ids.sorted().map { .int($0) })
    }

    /// The names Zoho's multi-select gets for Odoo's ids, sorted.
    static func toZohoTags(_ value: JSONValue, model: String, _ lookups: Lookups, _ c: Conversion) throws(ConversionError) -> JSONValue {
        guard let ids = value.arrayValue else { return .null }
        var names: [String] = []
        for id in ids.compactMap(\.intValue) {
            guard let name = lookups.records[Mapping.FieldPair.RecordTable.index(model, .name)]?.keys[id] else {
                throw c.failure(.string("#\(id)"), .notInOdoo(model: model))
            }
            names.append(name)
        }
        return .array(names.sorted().map { .string($0) })
    }

    /// The table's key for a Zoho value (tables that read Zoho have one key per value).
    static func key(_ zoho: String, in table: [String: String]) -> String? {
        table.keys.sorted().first { table[$0] == zoho }
    }
}
