import Core
import Store

/// When each field of a record last changed on one side, as the sidecar learnt it on arrival: from
/// Zoho's notification callbacks (`server_time` and the affected fields) and from Odoo's forwards (the
/// fields written). Records carry only record-level times (`write_date`, `Modified_Time`), which an
/// edit of any other field also moves; with these, a field edited on both sides between two syncs goes
/// to the side that edited that field last.
public struct FieldChange: Sendable, Equatable {
    /// A change in Odoo, a change in Zoho, or the sidecar's own write to either (with the time of the
    /// read it was decided on: a person's edit in between was overwritten).
    public enum Side: String, Sendable {
        case odoo, zoho
        case zohoWrite = "zoho_write"
        case odooWrite = "odoo_write"
    }

    public var instanceID: Int64
    public var side: Side
    /// The Odoo model or the Zoho module.
    public var object: String
    /// The Odoo id or the Zoho id, as text.
    public var recordID: String
    public var field: String
    /// Epoch milliseconds.
    public var time: Int64
    /// For the sidecar's writes: when the record was read, epoch milliseconds.
    public var readAt: Int64?
    /// `fingerprint` of the field's new value (a change) or of its value as read (the sidecar's write).
    public var fingerprint: String?
    /// For the sidecar's writes: `fingerprint` of the value written.
    public var writtenFingerprint: String?
    /// For Odoo's changes: the value written, when short (to put back a person's edit the sidecar overwrote).
    public var value: JSONValue?

    public init(
        instanceID: Int64,
        side: Side,
        object: String,
        recordID: String,
        field: String,
        time: Int64,
        readAt: Int64? = nil,
        fingerprint: String? = nil,
        writtenFingerprint: String? = nil,
        value: JSONValue? = nil
    ) {
        self.instanceID = instanceID
        self.side = side
        self.object = object
        self.recordID = recordID
        self.field = field
        self.time = time
        self.readAt = readAt
        self.fingerprint = fingerprint
        self.writtenFingerprint = writtenFingerprint
        self.value = value
    }
}

extension FieldChange {
    /// Whether this change set `value`: its fingerprint matches, or it carried none (a report naming the
    /// field without its value is taken as the source of whatever the record shows).
    func explains(_ value: JSONValue?) -> Bool {
        fingerprint == nil || fingerprint == FieldClock.fingerprint(value)
    }
}

public enum FieldClock {
    /// Keeps the latest time per field; of two at the same time, the one recorded last (learnt later).
    /// Rows go in key order (no deadlock between concurrent
    /// PostgreSQL transactions) and once per key (PostgreSQL refuses to upsert a row twice in one statement).
    public static func record(_ changes: [FieldChange], _ db: any SQLExecutor) async throws {
        var latest: [String: FieldChange] = [:]
        for c in changes {
            let key = "\(c.instanceID)|\(c.side.rawValue)|\(c.object)|\(c.recordID)|\(c.field)"
            if latest[key].map({ $0.time <= c.time }) ?? true { latest[key] = c }
        }
        guard !latest.isEmpty else { return }
        let rows = latest.sorted { $0.key < $1.key }.map(\.value).map {
            SQL(
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .int($0.instanceID), .text($0.side.rawValue), .text($0.object), .text($0.recordID), .text($0.field), .int($0.time),
                    SQLValue($0.readAt), SQLValue($0.fingerprint), SQLValue($0.writtenFingerprint), SQLValue($0.value.map { $0.serialized() }),
                ]
            )
        }
        for chunk in rows.chunked(1000) {
            try await db.execute(upsert(SQL("VALUES ") + .joined(Array(chunk), separator: ", ")))
        }
    }

    /// The upsert of the rows `source` yields (VALUES or a SELECT) in the order of `columns`, each key once.
    static func upsert(_ source: SQL) -> SQL {
        SQL("INSERT INTO field_changes (\(columns)) ") + source
            + SQL(
                " ON CONFLICT (instance_id, side, object, record_id, field) DO UPDATE SET changed_at = excluded.changed_at, read_at = excluded.read_at, fingerprint = excluded.fingerprint, written_fingerprint = excluded.written_fingerprint, value = excluded.value WHERE"
                    // A report dates the value it set; a sync's observation of that value, read before the
                    // report came and recorded after it, would date it later by the record's time.
                    + " (field_changes.changed_at <= excluded.changed_at AND NOT (\(sameValue) AND field_changes.read_at IS NULL AND excluded.read_at IS NOT NULL))"
                    // The report of a value the sidecar had only observed dates it, even earlier than the bound.
                    + " OR (\(sameValue) AND field_changes.read_at IS NOT NULL AND excluded.read_at IS NULL)"
            )
    }

    /// Two rows of one key about the same value.
    static let sameValue = "field_changes.fingerprint = excluded.fingerprint"

    static let columns = "instance_id, side, object, record_id, field, changed_at, read_at, fingerprint, written_fingerprint, value"

    /// PostgreSQL: the upsert of `changes` given as one JSON parameter, keeping those whose `owner` is
    /// among the rows of `kept` (a relation with column `o`), so a statement can record the changes of
    /// the deliveries it accepts. Of one key's changes the latest wins, as in `record`.
    public static func upsert(_ changes: [(owner: Int, change: FieldChange)], keptIn kept: String) -> SQL {
        let rows: [JSONValue] = changes.enumerated().map { n, item in
            let c = item.change
            return .object([
                "o": .int(Int64(item.owner)), "n": .int(Int64(n)), "i": .int(c.instanceID), "sd": .string(c.side.rawValue), "ob": .string(c.object),
                "r": .string(c.recordID), "f": .string(c.field), "t": .int(c.time), "ra": c.readAt.map(JSONValue.int) ?? .null,
                "fp": c.fingerprint.map(JSONValue.string) ?? .null, "wf": c.writtenFingerprint.map(JSONValue.string) ?? .null,
                "v": c.value.map { .string($0.serialized()) } ?? .null,
            ])
        }
        return upsert(
            SQL(
                """
                SELECT DISTINCT ON (i, sd, ob, r, f) i, sd, ob, r, f, t, ra, fp, wf, v
                FROM json_to_recordset(?::json) AS c(o bigint, n bigint, i bigint, sd text, ob text, r text, f text, t bigint, ra bigint, fp text, wf text, v text)
                WHERE c.o IN (SELECT o FROM \(kept))
                ORDER BY i, sd, ob, r, f, t DESC, n DESC
                """,
                [.text(JSONValue.array(rows).serialized())]
            )
        )
    }

    /// Field → the latest change, per record id.
    public static func latest(
        _ db: any SQLExecutor,
        instanceID: Int64,
        side: FieldChange.Side,
        object: String,
        ids: [String]
    ) async throws -> [String: [String: FieldChange]] {
        guard !ids.isEmpty else { return [:] }
        var out: [String: [String: FieldChange]] = [:]
        for chunk in ids.chunked(500) {
            let rows = try await db.query(
                SQL(
                    "SELECT record_id, field, changed_at, read_at, fingerprint, written_fingerprint, value FROM field_changes WHERE instance_id = ? AND side = ? AND object = ? AND record_id IN (",
                    [.int(instanceID), .text(side.rawValue), .text(object)]
                ) + .list(chunk.map { .text($0) }) + SQL(")")
            )
            for r in rows {
                guard let id = r["record_id"].text, let field = r["field"].text, let t = r["changed_at"].int else { continue }
                out[id, default: [:]][field] = FieldChange(
                    instanceID: instanceID,
                    side: side,
                    object: object,
                    recordID: id,
                    field: field,
                    time: t,
                    readAt: r["read_at"].int,
                    fingerprint: r["fingerprint"].text,
                    writtenFingerprint: r["written_fingerprint"].text,
                    value: r["value"].text.flatMap { try? JSONValue.parse($0) }
                )
            }
        }
        return out
    }

    /// Times older than the retention are of no use: the syncs since have settled those fields.
    /// A short fingerprint of one field's value.
    public static func fingerprint(_ value: JSONValue?) -> String {
        String(Values.hash(["v": Values.empty(value ?? .null)]).prefix(16))
    }

    public static func purge(_ store: any Store, olderThanDays days: Double) async throws -> Int {
        try await store.execute(SQL("DELETE FROM field_changes WHERE changed_at < ?", [.int(Clock.now() / 1000 - Int64(days * 86_400_000))]))
    }
}
