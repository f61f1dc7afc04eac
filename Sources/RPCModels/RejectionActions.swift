import Core
import OdooRPC
import Queue
import Store
import Sync

/// `zoho.sync.rejection`'s retry: the refused records are synced again now, from both sides' current state.
public enum RejectionActions {
    public static func register(on registry: inout ModelRegistry) {
        registry.register("action_retry", on: SidecarModels.rejection.name) { call in
            let queue = try call.service.components.requireQueue()
            guard !call.ids.isEmpty else { throw OdooFault(.userError, "Retry needs at least one rejected record") }
            let rows = try await call.service.store.query(
                SQL("SELECT company_id, instance_id, odoo_model, odoo_id, zoho_app, zoho_object, zoho_id FROM sync_rejections WHERE id IN (")
                    + .list(call.ids.map { .int($0) }) + SQL(")")
            )
            try call.service.checkCompanies(call.model, rows.compactMap { $0["company_id"].int }, call.env, operation: "retry")
            // Entries gone since the list was shown went through meanwhile: nothing to retry for them.
            _ = try await queue.enqueue(jobs(rows))
            return .int(Int64(rows.count))
        }
    }

    /// One push per instance and Odoo model for records Odoo has, one pull per instance and Zoho module
    /// for records only Zoho has (Odoo refused to create them).
    static func jobs(_ rows: [Row]) -> [NewJob] {
        var pushes: [String: (company: Int64, instance: Int64, model: String, ids: [Int64])] = [:]
        var pulls: [String: (company: Int64, instance: Int64, app: String, object: String, ids: [String])] = [:]
        for row in rows {
            guard let company = row["company_id"].int, let instance = row["instance_id"].int else { continue }
            if let id = row["odoo_id"].int, let model = row["odoo_model"].text {
                pushes["\(instance)|\(model)", default: (company, instance, model, [])].ids.append(id)
            } else if let id = row["zoho_id"].text, let app = row["zoho_app"].text, let object = row["zoho_object"].text {
                pulls["\(instance)|\(app)|\(object)", default: (company, instance, app, object, [])].ids.append(id)
            }
        }
        let pushJobs = pushes.values.flatMap { p in
            Array(Set(p.ids)).sorted().chunked(SyncJobs.batchLimit).map { chunk in
                NewJob(
                    kind: SyncJobs.push,
                    payload: PushRequest(model: p.model, ids: chunk, operation: "write", source: "retry").json,
                    companyID: p.company,
                    instanceID: p.instance
                )
            }
        }
        let pullJobs = pulls.values.flatMap { p in
            Array(Set(p.ids)).sorted().chunked(SyncJobs.batchLimit).map { chunk in
                NewJob(
                    kind: SyncJobs.pull,
                    payload: PullRequest(app: p.app, object: p.object, ids: chunk, operation: "update", source: "retry").json,
                    companyID: p.company,
                    instanceID: p.instance
                )
            }
        }
        return pushJobs + pullJobs
    }
}

extension Array {
    fileprivate func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
