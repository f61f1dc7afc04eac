import Core
import Store

/// A record one side refused during a sync, or whose values its mapping could not convert.
public struct Rejection: Sendable, Equatable {
    /// Who refused it: Zoho, Odoo, or the mapping (a value its pairs cannot carry, `ConversionError`).
    public enum Side: String, Sendable {
        case zoho
        case odoo
        case mapping
    }

    public var odooID: Int64?
    public var zohoID: String?
    public var rejectedBy: Side
    /// create or update, on the side that refused.
    public var operation: String
    public var refusal: Refusal
    /// The Zoho record holding the value Zoho called a duplicate: a change to it may let this one through.
    public var blockingZohoID: String?

    /// One entry per record and mapping: the Odoo record when there is one, else the Zoho record.
    var recordKey: String { odooID.map { "odoo:\($0)" } ?? "zoho:\(zohoID ?? "")" }
}

/// The home of rejected records (`sync_rejections`, the `zoho.sync.rejection` model): each sync pass
/// records what was refused and clears what went through, so the list is what is refused now.
public struct Rejections: Sendable {
    let store: any Store

    public init(store: any Store) { self.store = store }

    /// Rejected records whose refusal names one of these Zoho records as holding the duplicate value:
    /// when that record changes (renamed, merged, deleted), they may go through, so they are tried again.
    func blockedBy(_ instanceID: Int64, _ m: Mapping, zohoIDs: [String]) async throws -> (odoo: [Int64], zoho: [String]) {
        guard !zohoIDs.isEmpty else { return ([], []) }
        let rows = try await store.query(
            SQL(
                "SELECT odoo_id, zoho_id FROM sync_rejections WHERE instance_id = ? AND mapping = ? AND blocking_zoho_id IN (",
                [.int(instanceID), .text(m.name)]
            )
                + .list(zohoIDs.map { .text($0) }) + SQL(")")
        )
        return (rows.compactMap { $0["odoo_id"].int }, rows.filter { $0["odoo_id"].int == nil }.compactMap { $0["zoho_id"].text })
    }

    /// After a pass over these records: the refused ones are recorded (a repeat counts an attempt and
    /// keeps the first time seen), every other record of the pass is cleared.
    func settle(
        instanceID: Int64,
        companyID: Int64,
        _ m: Mapping,
        odooIDs: Set<Int64>,
        zohoIDs: Set<String>,
        rejected: [Rejection]
    ) async throws {
        var passed: [SQL] = []
        if !odooIDs.isEmpty { passed.append(SQL("odoo_id IN (") + .list(odooIDs.sorted().map { .int($0) }) + SQL(")")) }
        if !zohoIDs.isEmpty { passed.append(SQL("zoho_id IN (") + .list(zohoIDs.sorted().map { .text($0) }) + SQL(")")) }
        guard !passed.isEmpty || !rejected.isEmpty else { return }
        var clear = SQL("DELETE FROM sync_rejections WHERE instance_id = ? AND mapping = ? AND (", [.int(instanceID), .text(m.name)])
        clear.append(.joined(passed, separator: " OR ") + SQL(")"))
        if !rejected.isEmpty { clear.append(SQL(" AND record_key NOT IN (") + .list(rejected.map { .text($0.recordKey) }) + SQL(")")) }
        let clearing = passed.isEmpty ? nil : clear
        let now = Clock.now()
        try await store.transaction { tx in
            if let clearing { try await tx.execute(clearing) }
            for r in rejected {
                try await tx.execute(
                    SQL(
                        """
                        INSERT INTO sync_rejections (company_id, instance_id, mapping, record_key, odoo_model, odoo_id, zoho_app, zoho_object, zoho_id,
                                                     rejected_by, operation, code, field, message, blocking_zoho_id, attempts,
                                                     first_seen_at, last_seen_at, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
                        ON CONFLICT (instance_id, mapping, record_key) DO UPDATE SET
                            zoho_id = coalesce(excluded.zoho_id, sync_rejections.zoho_id), rejected_by = excluded.rejected_by,
                            operation = excluded.operation, code = excluded.code, field = excluded.field, message = excluded.message,
                            blocking_zoho_id = excluded.blocking_zoho_id, attempts = sync_rejections.attempts + 1,
                            last_seen_at = excluded.last_seen_at, updated_at = excluded.updated_at
                        """,
                        [
                            .int(companyID), .int(instanceID), .text(m.name), .text(r.recordKey), .text(m.odooModel), SQLValue(r.odooID),
                            .text(m.app), .text(m.object), SQLValue(r.zohoID), .text(r.rejectedBy.rawValue), .text(r.operation),
                            SQLValue(r.refusal.code), SQLValue(r.refusal.field), .text(r.refusal.message), SQLValue(r.blockingZohoID),
                            .int(now), .int(now), .int(now), .int(now),
                        ]
                    )
                )
            }
        }
    }
}
