import Core

/// A module's records by the value of one field, for Zoho's duplicate checks and upserts: a lookup
/// instead of a pass over every record, which made a 100,000-record import quadratic. A table is
/// built when its (data centre, module, field) is first asked, follows every write and delete, and
/// is dropped with the records it was built from (reset, load).
struct CRMDuplicates {
    private var tables: [String: [String: Set<String>]] = [:]

    /// Values as `SimState.same` compares them: text without case, anything else as it is.
    static func key(_ value: JSONValue) -> String {
        value.stringValue.map { "t" + $0.lowercased() } ?? "v" + value.serialized()
    }

    private static func name(_ dc: String, _ module: String, _ field: String) -> String { "\(dc)/\(module)/\(field)" }

    /// The ids of the records whose `field` holds `value`.
    mutating func ids(_ dc: String, _ module: String, _ field: String, _ value: JSONValue, in records: [String: CRMRecord]) -> Set<String> {
        let table = Self.name(dc, module, field)
        if tables[table] == nil {
            var built: [String: Set<String>] = [:]
            for record in records.values {
                guard let v = record.fields[field] else { continue }
                built[Self.key(v), default: []].insert(record.id)
            }
            tables[table] = built
        }
        return tables[table]?[Self.key(value)] ?? []
    }

    /// A record written (`new`) or deleted (`new` nil), with what it held before (`old`).
    mutating func update(_ dc: String, _ module: String, old: CRMRecord?, new: CRMRecord?) {
        let prefix = "\(dc)/\(module)/"
        // The names first: iterating `tables` while writing it would copy every table each time.
        let names = tables.keys.filter { $0.hasPrefix(prefix) }
        for table in names {
            let field = String(table.dropFirst(prefix.count))
            if let old, let v = old.fields[field] { tables[table]?[Self.key(v)]?.remove(old.id) }
            if let new, let v = new.fields[field] { tables[table]?[Self.key(v), default: []].insert(new.id) }
        }
    }

    mutating func removeAll() { tables = [:] }
}
