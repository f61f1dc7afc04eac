import Core
import Store

/// A mapping's rows in the store (`mappings`, `mapping_fields`) ↔ its JSON form, which `Mapping(json:)`
/// reads: the store keeps the columns a person edits, and a field pair's transform options (a value
/// table, the mapping a lookup goes through) as JSON.
public enum MappingRecords {
    /// Pair keys with a column of their own; any other key of a pair is one of its transform's options.
    static let pairColumns: Set<String> = ["odoo", "zoho", "direction", "transform", "odoo_until", "odoo_from_parent"]

    /// The JSON form of one stored mapping and its field pairs (in sequence order).
    public static func json(_ row: Row, fields: [Row]) -> JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(row["name"].text ?? ""),
            "odoo_model": .string(row["odoo_model"].text ?? ""),
            "odoo_domain": parsed(row["odoo_domain"], or: []),
            "odoo_defaults": parsed(row["odoo_defaults"], or: [:]),
            "app": .string(row["app"].text ?? ""),
            "object": .string(row["object"].text ?? ""),
            "match_odoo": .string(row["match_odoo"].text ?? ""),
            "match_zoho": .string(row["match_zoho"].text ?? ""),
            "conflict": .string(row["conflict"].text ?? "newest"),
            "on_odoo_delete": .string(row["on_odoo_delete"].text ?? "delete"),
            "on_zoho_delete": .string(row["on_zoho_delete"].text ?? "archive"),
        ]
        o["fields"] = .array(fields.map(pairJSON))
        return .object(o)
    }

    static func pairJSON(_ row: Row) -> JSONValue {
        var pair = parsed(row["options"], or: [:]).objectValue ?? [:]
        pair["odoo"] = .string(row["odoo"].text ?? "")
        let zoho = (row["zoho"].text ?? "").split(separator: ",").map { JSONValue.string($0.trimmingCharacters(in: .whitespaces)) }
        pair["zoho"] = .array(zoho)
        pair["direction"] = .string(row["direction"].text ?? "both")
        pair["transform"] = .string(row["transform"].text ?? "plain")
        // Odoo's clients read an empty integer as 0 and may write it back: 0 is no series, as empty is.
        if let until = row["odoo_until"].int, until > 0 { pair["odoo_until"] = .int(until) }
        pair["odoo_from_parent"] = .bool(row["odoo_from_parent"].int == 1)
        return .object(pair)
    }

    static func parsed(_ value: SQLValue, or fallback: JSONValue) -> JSONValue {
        value.text.flatMap { try? JSONValue.parse($0) } ?? fallback
    }

    /// Stores a mapping given in its JSON form for an instance; `shipped` names the shipped mapping it
    /// copies, so that it can be restored. Returns the new mapping's id.
    @discardableResult
    public static func insert(_ json: JSONValue, instanceID: Int64, companyID: Int64, shipped: String?, in tx: any SQLExecutor) async throws -> Int64
    {
        let now = Clock.now()
        let columns: [(String, SQLValue)] = [
            ("company_id", .int(companyID)),
            ("instance_id", .int(instanceID)),
            ("name", .text(json["name"]?.stringValue ?? "")),
            ("sequence", .int(json["sequence"]?.intValue ?? 10)),
            ("active", .int(json["active"]?.boolValue == false ? 0 : 1)),
            ("shipped", SQLValue(shipped)),
            ("odoo_model", .text(json["odoo_model"]?.stringValue ?? "")),
            ("odoo_domain", .text((json["odoo_domain"] ?? []).serialized())),
            ("odoo_defaults", .text((json["odoo_defaults"] ?? [:]).serialized())),
            ("app", .text(json["app"]?.stringValue ?? "")),
            ("object", .text(json["object"]?.stringValue ?? "")),
            ("match_odoo", .text(json["match_odoo"]?.stringValue ?? "")),
            ("match_zoho", .text(json["match_zoho"]?.stringValue ?? "")),
            ("conflict", .text(json["conflict"]?.stringValue ?? "newest")),
            ("on_odoo_delete", .text(json["on_odoo_delete"]?.stringValue ?? "delete")),
            ("on_zoho_delete", .text(json["on_zoho_delete"]?.stringValue ?? "archive")),
            ("created_at", .int(now)),
            ("updated_at", .int(now)),
        ]
        guard let id = try await tx.query(insertSQL("mappings", columns) + SQL(" RETURNING id")).first?[0].int else {
            throw MappingError(description: "mapping \(json["name"]?.stringValue ?? "?") could not be stored")
        }
        for (index, pair) in (json["fields"]?.arrayValue ?? []).enumerated() {
            try await tx.execute(insertSQL("mapping_fields", pairColumns(pair, mappingID: id, companyID: companyID, sequence: index + 1, now: now)))
        }
        return id
    }

    static func pairColumns(_ pair: JSONValue, mappingID: Int64, companyID: Int64, sequence: Int, now: Micros) -> [(String, SQLValue)] {
        let zoho = pair["zoho"]?.arrayValue?.compactMap(\.stringValue) ?? pair["zoho"]?.stringValue.map { [$0] } ?? []
        let options = (pair.objectValue ?? [:]).filter { !pairColumns.contains($0.key) }
        return [
            ("company_id", .int(companyID)),
            ("mapping_id", .int(mappingID)),
            ("sequence", .int(Int64(sequence * 10))),
            ("odoo", .text(pair["odoo"]?.stringValue ?? "")),
            ("zoho", .text(zoho.joined(separator: ","))),
            ("direction", .text(pair["direction"]?.stringValue ?? "both")),
            ("transform", .text(pair["transform"]?.stringValue ?? "plain")),
            ("options", .text(JSONValue.object(options).serialized())),
            ("odoo_until", SQLValue(pair["odoo_until"]?.intValue)),
            ("odoo_from_parent", .int(pair["odoo_from_parent"]?.boolValue == true ? 1 : 0)),
            ("created_at", .int(now)),
            ("updated_at", .int(now)),
        ]
    }

    static func insertSQL(_ table: String, _ columns: [(String, SQLValue)]) -> SQL {
        SQL("INSERT INTO \(table) (\(columns.map(\.0).joined(separator: ", "))) VALUES (") + .list(columns.map(\.1)) + SQL(")")
    }

    /// The JSON form of every mapping of an instance, in sequence order, with whether each is active.
    public static func load(instanceID: Int64, in executor: any SQLExecutor) async throws -> [(json: JSONValue, active: Bool)] {
        let rows = try await executor.query(SQL("SELECT * FROM mappings WHERE instance_id = ? ORDER BY sequence, id", [.int(instanceID)]))
        guard !rows.isEmpty else { return [] }
        let ids = rows.compactMap { $0["id"].int }
        let pairs = try await executor.query(
            SQL("SELECT * FROM mapping_fields WHERE mapping_id IN (") + .list(ids.map { .int($0) }) + SQL(") ORDER BY sequence, id")
        )
        let byMapping = Dictionary(grouping: pairs) { $0["mapping_id"].int ?? 0 }
        return rows.map { row in
            (json(row, fields: byMapping[row["id"].int ?? 0] ?? []), row["active"].int == 1)
        }
    }
}
