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
    public static func reconcileJobs(_ store: any Store, full: Bool, instanceID: Int64? = nil, scheduled: Bool = false) async throws -> [NewJob] {
        var sql = SQL("SELECT id, company_id, apps FROM instances WHERE active = 1 AND state = 'connected'")
        if let instanceID { sql.append(SQL(" AND id = ?", [.int(instanceID)])) }
        var jobs: [NewJob] = []
        for row in try await store.query(sql + SQL(" ORDER BY id")) {
            guard let id = row["id"].int else { continue }
            let apps = (row["apps"].text.flatMap { try? JSONValue.parse($0) }?.arrayValue ?? []).compactMap(\.stringValue)
            // Companies before their people: a contact's lookup can only be set once its account is bound.
            for m in BuiltinMappings.forApps(apps) {
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
        guard let named = mappings.first(where: { $0.name == request.mapping }) else {
            throw JobError(.permanent, "no mapping named \(request.mapping)")
        }
        let cursors = SyncCursors(store: store, instanceID: instance.id, mapping: named.name)
        if request.scheduled == true, try await cursors.get("initial") == nil {
            return ["skipped": "waiting for the initial sync: press Initial sync on the instance"]
        }
        let client = try await odoo.client(for: instance.id)
        let m = try await fitted(named, client: client)
        let zohoAPI = ZohoRecords(client: zoho.client, instanceID: instance.id)
        let zohoSince = request.full ? nil : try await cursors.get("zoho")
        let odooSince = request.full ? nil : try await cursors.get("odoo")
        var report = Report()

        // Zoho: changed records in Modified_Time order, and deletions.
        let (zohoIDs, zohoHigh) = try await zohoAPI.changed(m, since: zohoSince)
        let deleted = zohoSince == nil ? [] : try await zohoAPI.deleted(m, since: zohoSince!)
        // Odoo: records written since the cursor, archived ones too; bound records that no longer exist.
        let company: [JSONValue] = ["|", ["company_id", "=", false], ["company_id", "=", .int(instance.companyID)]]
        var domain = (m.odooDomain.arrayValue ?? []) + company
        if let odooSince { domain.append(["write_date", ">=", .string(odooSince)]) }
        var odooIDs: [Int64] = []
        var odooHigh = odooSince
        var offset = 0
        while true {
            let page = try await client.searchRead(
                m.odooModel,
                domain: .array(domain),
                fields: ["write_date"],
                limit: 1000,
                offset: offset,
                order: "write_date, id",
                context: ["active_test": false]
            )
            for r in page {
                if let id = r["id"]?.intValue { odooIDs.append(id) }
                if let w = r["write_date"]?.stringValue, w > (odooHigh ?? "") { odooHigh = w }
            }
            if page.count < 1000 { break }
            offset += page.count
        }
        let vanished = try await vanishedOdooRecords(m, instance: instance, client: client)

        let zohoWork = Array(Set(zohoIDs + deleted)).sorted()
        let odooWork = Array(Set(odooIDs + vanished)).sorted()
        let total = zohoWork.count + odooWork.count
        var done = 0
        try await progress(instance.id, m, done: 0, total: total, state: "running")
        for chunk in zohoWork.chunked(SyncJobs.batchLimit) {
            report = try await syncLocked(m, instance: instance, odooIDs: [], zohoIDs: Array(chunk), job: job, report: report)
            done += chunk.count
            try await progress(instance.id, m, done: done, total: total, state: "running")
        }
        for chunk in odooWork.chunked(SyncJobs.batchLimit) {
            report = try await syncLocked(m, instance: instance, odooIDs: Array(chunk), zohoIDs: [], job: job, report: report)
            done += chunk.count
            try await progress(instance.id, m, done: done, total: total, state: "running")
        }
        // Cursors move only after the work is done: a crash repeats the window instead of skipping it.
        if let zohoHigh { try await cursors.set("zoho", zohoHigh) }
        if let odooHigh { try await cursors.set("odoo", odooHigh) }
        if request.full { try await cursors.set("initial", Clock.odooString(Clock.now())) }
        try await progress(instance.id, m, done: done, total: total, state: "done")
        return report.json
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
    func progress(_ instanceID: Int64, _ m: Mapping, done: Int, total: Int, state: String) async throws {
        try await store.transaction { tx in
            let current = try await tx.scalar(SQL("SELECT sync_progress FROM instances WHERE id = ?", [.int(instanceID)])).text
            var all = current.flatMap { try? JSONValue.parse($0) }?.objectValue ?? [:]
            all[m.name] = [
                "done": .int(Int64(done)), "total": .int(Int64(total)), "state": .string(state), "at": .string(Clock.odooString(Clock.now())),
            ]
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

extension ZohoRecords {
    /// Ids of records modified after `since` (all records when nil), and the latest Modified_Time seen.
    /// The cursor steps back a second: Zoho's times have second precision, and a record written in the
    /// same second as the last one read must not be skipped (reading it twice is harmless).
    func changed(_ m: Mapping, since: String?) async throws -> ([String], String?) {
        guard m.app == "crm" else { return try await booksChanged(m, since: since) }
        var ids: [String] = []
        var high: Micros?
        var token: String?
        repeat {
            var query = [("fields", "Modified_Time"), ("sort_by", "Modified_Time"), ("sort_order", "asc"), ("per_page", "200")]
            if let token { query.append(("page_token", token)) }
            let headers = since.map { [("If-Modified-Since", $0)] } ?? []
            let exchange = try await client.call(instanceID, .crm, .GET, "/crm/v8/\(m.object)", query: query, headers: headers)
            for r in exchange.json?["data"]?.arrayValue ?? [] {
                if let id = r["id"]?.stringValue { ids.append(id) }
                if let t = r["Modified_Time"]?.stringValue, let micros = Clock.parseOdoo(t), micros > (high ?? .min) { high = micros }
            }
            token = exchange.json?["info"]?["more_records"] == true ? exchange.json?["info"]?["next_page_token"]?.stringValue : nil
        } while token != nil
        let cursor = high.map { Clock.odooString($0 - 1_000_000).replacingOccurrences(of: " ", with: "T") + "+00:00" } ?? since
        return (ids, cursor)
    }

    /// Ids deleted after `since`.
    func deleted(_ m: Mapping, since: String) async throws -> [String] {
        guard m.app == "crm" else { return [] }
        var ids: [String] = []
        var page = 1
        while true {
            let exchange = try await client.call(
                instanceID,
                .crm,
                .GET,
                "/crm/v8/\(m.object)/deleted",
                query: [("type", "all"), ("page", "\(page)"), ("per_page", "200")],
                headers: [("If-Modified-Since", since)]
            )
            ids += (exchange.json?["data"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            guard exchange.json?["info"]?["more_records"] == true, page < 10 else { break }
            page += 1
        }
        return ids
    }

    func booksChanged(_ m: Mapping, since: String?) async throws -> ([String], String?) {
        var ids: [String] = []
        var high = since
        var page = 1
        while true {
            let exchange = try await client.call(
                instanceID,
                .books,
                .GET,
                "/books/v3/\(m.object)s",
                query: [("page", "\(page)"), ("per_page", "200"), ("sort_column", "last_modified_time")]
            )
            let rows = exchange.json?["\(m.object)s"]?.arrayValue ?? []
            for r in rows {
                let t = r["last_modified_time"]?.stringValue ?? ""
                if let since, let a = Clock.parseOdoo(t), let b = Clock.parseOdoo(since), a < b { continue }
                if let id = r["\(m.object)_id"]?.stringValue { ids.append(id) }
                if let a = Clock.parseOdoo(t), a > (high.flatMap(Clock.parseOdoo) ?? .min) { high = t }
            }
            guard exchange.json?["page_context"]?["has_more_page"] == true else { break }
            page += 1
        }
        return (ids, high)
    }
}
