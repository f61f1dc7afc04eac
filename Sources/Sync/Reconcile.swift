import Core
import Foundation
import OdooRPC
import Queue
import Store
import ZohoAPI

/// "Catch up on this mapping": what changed on either side since the last run (or everything, for the
/// initial import/export), fed through the same sync as webhooks and forwarded writes.
public struct ReconcileRequest: Codable, Sendable, Equatable {
    public var mapping: String
    /// Ignore the cursors and page through both sides completely (the initial sync).
    public var full: Bool
    /// Started by the sidecar's schedule, not by a person: such a run does nothing for a mapping whose
    /// initial sync has not run, so connecting an instance sends nothing anywhere until someone asks.
    public var scheduled: Bool?

    public init(mapping: String, full: Bool, scheduled: Bool = false) {
        self.mapping = mapping
        self.full = full
        self.scheduled = scheduled
    }

    public var json: JSONValue { ["mapping": .string(mapping), "full": .bool(full), "scheduled": .bool(scheduled == true)] }
}

extension SyncJobs {
    /// Poll both sides of a mapping from persisted cursors.
    public static let reconcile = "zoho.reconcile"

    /// A reconcile job for every mapping of every connected instance; one waiting job per mapping at most.
    public static func reconcileJobs(
        _ store: any Store,
        book: MappingBook,
        full: Bool,
        instanceID: Int64? = nil,
        mapping: String? = nil,
        scheduled: Bool = false
    ) async throws -> [NewJob] {
        var sql = SQL("SELECT id, company_id, apps FROM instances WHERE active = 1 AND state = 'connected'")
        if let instanceID { sql.append(SQL(" AND id = ?", [.int(instanceID)])) }
        var jobs: [NewJob] = []
        for row in try await store.query(sql + SQL(" ORDER BY id")) {
            guard let id = row["id"].int else { continue }
            let apps = (row["apps"].text.flatMap { try? JSONValue.parse($0) }?.arrayValue ?? []).compactMap(\.stringValue)
            // In sequence order: companies before their people, as a contact's lookup can only be set once
            // its account is bound.
            for m in try await book.mappings(id).forApps(apps) where mapping == nil || m.name == mapping {
                jobs.append(
                    NewJob(
                        kind: reconcile,
                        payload: ReconcileRequest(mapping: m.name, full: full, scheduled: scheduled).json,
                        companyID: row["company_id"].int ?? 1,
                        instanceID: id,
                        priority: full ? 8 : 20,
                        identityKey: "reconcile:\(id):\(m.name)"
                    )
                )
            }
        }
        return jobs
    }
}

extension SyncEngine {
    func reconcile(_ request: ReconcileRequest, job: Job) async throws -> JSONValue {
        let instance = try await requireInstance(job)
        let mappings = try await book.mappings(instance.id)
        guard let named = mappings.named(request.mapping) else {
            if let problem = mappings.broken[request.mapping] { throw JobError(.permanent, problem) }
            return ["skipped": .string("the instance has no active mapping named \(request.mapping): it was switched off, renamed or deleted")]
        }
        guard instance.apps.contains(named.app) else {
            return ["skipped": .string(Self.appDropped(named, instance))]
        }
        let cursors = SyncCursors(store: store, instanceID: instance.id, mapping: named.name)
        if request.scheduled == true, try await cursors.get("initial") == nil {
            return ["skipped": "waiting for the initial sync: press Initial sync on the instance"]
        }
        let client = try await odoo.client(for: instance.id)
        let m = try await fitted(named, client: client)
        // A reconciliation owns its job: it waits out a full window of its app rather than give its place up.
        let patience = max(zoho.client.limits.booksWindowSeconds, 10) + 1
        return try await RateLimiter.$patienceSeconds.withValue(patience) {
            try await ReconcileRun(engine: self, m: m, instance: instance, client: client, cursors: cursors, job: job, full: request.full).run()
        }
    }

    static func appDropped(_ m: Mapping, _ instance: Instance) -> String {
        "\(m.app) is no longer among the instance's apps (\(instance.apps.joined(separator: ", "))): \(m.name) is not reconciled"
    }

    /// Bound Odoo ids that no longer exist (deleted while nobody was told).
    func vanishedOdooRecords(_ m: Mapping, instance: Instance, client: OdooClient) async throws -> [Int64] {
        let rows = try await store.query(
            SQL(
                "SELECT odoo_id FROM bindings WHERE instance_id = ? AND zoho_app = ? AND zoho_object = ? AND odoo_model = ?",
                [.int(instance.id), .text(m.app), .text(m.object), .text(m.odooModel)]
            )
        )
        let bound = rows.compactMap { $0["odoo_id"].int }
        var gone: [Int64] = []
        for chunk in bound.chunked(1000) {
            let existing = Set(
                try await client.call(
                    m.odooModel,
                    "search",
                    [[["id", "in", .array(chunk.map { .int($0) })]]],
                    ["context": ["active_test": false]]
                ).arrayValue?.compactMap(\.intValue) ?? []
            )
            gone += chunk.filter { !existing.contains($0) }
        }
        return gone
    }

    /// The instance's `sync_progress`: per mapping, records done of total and the state.
    /// `note` says why a run waits or stopped.
    func progress(_ instanceID: Int64, _ m: Mapping, done: Int, total: Int, state: String, note: String? = nil) async throws {
        try await store.transaction { tx in
            // Every mapping's run rewrites the one JSON: on PostgreSQL the row is locked first, or two runs
            // reading it at once would each write back the other's entry as it was (a lost update).
            let lock = tx.engine == .postgres ? " FOR UPDATE" : ""
            let current = try await tx.scalar(SQL("SELECT sync_progress FROM instances WHERE id = ?\(lock)", [.int(instanceID)])).text
            var all = current.flatMap { try? JSONValue.parse($0) }?.objectValue ?? [:]
            var entry: [String: JSONValue] = [
                "done": .int(Int64(done)), "total": .int(Int64(total)), "state": .string(state), "at": .string(Clock.odooString(Clock.now())),
            ]
            if let note { entry["note"] = .string(note) }
            all[m.name] = .object(entry)
            try await tx.execute(
                SQL("UPDATE instances SET sync_progress = ? WHERE id = ?", [.text(JSONValue.object(all).serialized()), .int(instanceID)])
            )
        }
    }
}

/// Where each side's last reconciliation got to, per instance and mapping.
struct SyncCursors {
    let store: any Store
    let instanceID: Int64
    let mapping: String

    func get(_ side: String) async throws -> String? {
        try await store.scalar(
            SQL(
                "SELECT cursor FROM sync_cursors WHERE instance_id = ? AND mapping = ? AND side = ?",
                [.int(instanceID), .text(mapping), .text(side)]
            )
        ).text
    }

    func clear(_ side: String) async throws {
        try await store.execute(
            SQL(
                "DELETE FROM sync_cursors WHERE instance_id = ? AND mapping = ? AND side = ?",
                [.int(instanceID), .text(mapping), .text(side)]
            )
        )
    }

    func set(_ side: String, _ value: String) async throws {
        try await store.execute(
            SQL(
                """
                INSERT INTO sync_cursors (instance_id, mapping, side, cursor, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (instance_id, mapping, side) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
                """,
                [.int(instanceID), .text(mapping), .text(side), .text(value), .int(Clock.now())]
            )
        )
    }
}
