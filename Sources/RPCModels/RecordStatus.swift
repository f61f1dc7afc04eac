import Core
import Foundation
import OdooRPC
import Store
import Sync
import ZohoAPI

/// What Odoo shows beside a synced record: its Zoho records with a link into Zoho's web app, the last
/// sync, and the latest sync job or refusal that has not gone through. One call answers for many
/// records of one model (a form asks for one, a list for its page).
public enum RecordStatus {
    public static func register(on registry: inout ModelRegistry) {
        let binding = SidecarModels.binding.name
        registry.register("record_status", on: binding, parameters: ["odoo_model", "odoo_ids"]) { call in
            let (model, ids) = try arguments(call)
            let statuses = try await load(model: model, ids: ids, env: call.env, service: call.service)
            return .object(Dictionary(uniqueKeysWithValues: ids.map { ("\($0)", statuses[$0] ?? notLinked) }))
        }
        registry.register("failed_records", on: binding, parameters: ["odoo_model"]) { call in
            guard let model = call.arguments["odoo_model"]?.stringValue, !model.isEmpty else {
                throw OdooFault(.validationError, "failed_records needs the Odoo model, e.g. res.partner")
            }
            let candidates = try await failureCandidates(model: model, env: call.env, store: call.service.store)
            let statuses = try await load(model: model, ids: candidates, env: call.env, service: call.service)
            let failed = candidates.filter { statuses[$0]?["state"] == "failed" }
            return .array(failed.map { .int($0) })
        }
    }

    /// " AND <column> IN (the caller's companies)"; nothing for a caller who sees every company.
    static func inCompanies(_ env: Env, _ column: String = "company_id") -> SQL {
        env.companies.map { SQL(" AND ") + .isIn(column, $0.map { .int($0) }) } ?? SQL("")
    }

    static let notLinked: JSONValue = [
        "state": "not_in_zoho", "bindings": [], "last_sync_date": false, "last_direction": false, "job": false, "rejection": false,
    ]

    static func arguments(_ call: ActionCall) throws -> (String, [Int64]) {
        guard let model = call.arguments["odoo_model"]?.stringValue, !model.isEmpty,
            let ids = call.arguments["odoo_ids"]?.arrayValue?.compactMap(\.intValue)
        else {
            throw OdooFault(.validationError, "record_status needs the Odoo model and a list of its record ids, e.g. res.partner and [7]")
        }
        return (model, Array(Set(ids)).sorted())
    }

    /// The status of each of `ids` that has a link, a sync job or a refusal; the others are not in Zoho.
    static func load(model: String, ids: [Int64], env: Env, service: ModelService) async throws -> [Int64: JSONValue] {
        guard !ids.isEmpty else { return [:] }
        let store = service.store
        let links = ZohoWebLinks(endpoints: service.components.zoho?.endpoints ?? ZohoEndpoints())
        let bindings = try await Links.load(model: model, ids: ids, env: env, store: store, links: links)
        let jobs = try await Jobs.load(model: model, ids: ids, bindings: bindings, env: env, store: store)
        let refusals = try await refusals(model: model, ids: ids, env: env, store: store)
        var out: [Int64: JSONValue] = [:]
        for id in ids {
            let linked = bindings[id] ?? []
            let job = jobs[id]
            let refusal = refusals[id]
            guard !linked.isEmpty || job != nil || refusal != nil else { continue }
            let last = linked.max { ($0.lastSync ?? 0) < ($1.lastSync ?? 0) }
            out[id] = [
                "state": .string(state(linked: linked, job: job, refusal: refusal)),
                "bindings": .array(linked.map(\.json)),
                "last_sync_date": last?.lastSync.map { .string(Clock.odooString($0)) } ?? false,
                "last_direction": last?.direction.map { .string($0) } ?? false,
                "job": job?.json ?? false,
                "rejection": refusal ?? false,
            ]
        }
        return out
    }

    /// failed: a job failed since the last sync, or Zoho or Odoo refused the record; pending: a job is
    /// on its way; synced: linked and nothing waiting; not_in_zoho: no link yet.
    static func state(linked: [Links.Link], job: Jobs.Found?, refusal: JSONValue?) -> String {
        if refusal != nil || job?.state == "failed" { return "failed" }
        if job != nil { return "pending" }
        return linked.isEmpty ? "not_in_zoho" : "synced"
    }

    /// The newest refusal of each record (zoho.sync.rejection), with its message.
    static func refusals(model: String, ids: [Int64], env: Env, store: any Store) async throws -> [Int64: JSONValue] {
        var sql = SQL(
            "SELECT r.id, r.odoo_id, r.mapping, r.message, r.last_seen_at, r.instance_id, i.name FROM sync_rejections r "
                + "JOIN instances i ON i.id = r.instance_id WHERE r.odoo_model = ?",
            [.text(model)]
        )
        sql.append(SQL(" AND ") + .isIn("r.odoo_id", ids.map { .int($0) }) + inCompanies(env, "r.company_id"))
        var out: [Int64: JSONValue] = [:]
        for row in try await store.query(sql + SQL(" ORDER BY r.last_seen_at, r.id")) {
            guard let id = row["odoo_id"].int else { continue }
            out[id] = [
                "id": .int(row["id"].int ?? 0),
                "instance_id": .array([.int(row["instance_id"].int ?? 0), .string(row["name"].text ?? "")]),
                "mapping": .string(row["mapping"].text ?? ""),
                "message": .string(Secrets.redact(row["message"].text ?? "")),
                "date": row["last_seen_at"].int.map { .string(Clock.odooString($0)) } ?? false,
            ]
        }
        return out
    }

    /// Records of `model` that may have failed: those in failed sync jobs and those refused. A narrowing
    /// for `failed_records`, which then keeps the ones whose failure is newer than their last sync.
    static func failureCandidates(model: String, env: Env, store: any Store) async throws -> [Int64] {
        var ids = Set<Int64>()
        let refused =
            SQL("SELECT DISTINCT odoo_id FROM sync_rejections WHERE odoo_model = ? AND odoo_id IS NOT NULL", [.text(model)]) + inCompanies(env)
        for row in try await store.query(refused) {
            if let id = row["odoo_id"].int { ids.insert(id) }
        }
        var pulled = [(Int64, String, String, String)]()
        for job in try await Jobs.candidates(model: model, pulls: nil, states: ["failed"], env: env, store: store) {
            switch job.target {
            case .push(let jobModel, let jobIDs):
                if jobModel == model { ids.formUnion(jobIDs) }
            case .pull(let app, let object, let zohoIDs):
                pulled += zohoIDs.map { (job.instance, app, object, $0) }
            }
        }
        ids.formUnion(try await Links.odooIDs(model: model, zohoRecords: pulled, store: store))
        return ids.sorted()
    }
}
