import Core
import Store

extension SyncJobs {
    /// An instance's `apps` lost some apps: its queued jobs for them are cancelled, saying why, rather
    /// than run against an app it no longer syncs. A running reconciliation stops at its next slice;
    /// push jobs sync only the apps the instance has when they run.
    public static func cancelDropped(instanceIDs: [Int64], keeping apps: [String], in tx: any SQLExecutor) async throws {
        guard !instanceIDs.isEmpty else { return }
        let rows = try await tx.query(
            SQL(
                "SELECT id, instance_id, kind, payload FROM jobs WHERE state IN ('pending', 'waiting') AND kind IN (?, ?) AND instance_id IN (",
                [.text(reconcile), .text(pull)]
            )
                + .list(instanceIDs.map { .int($0) }) + SQL(")")
        )
        // A reconciliation names its mapping; the mapping (the instance's own) names the app.
        let mappings = try await tx.query(
            SQL("SELECT instance_id, name, app FROM mappings WHERE instance_id IN (") + .list(instanceIDs.map { .int($0) }) + SQL(")")
        )
        func key(_ instance: Int64?, _ mapping: String?) -> String { "\(instance ?? 0):\(mapping ?? "")" }
        var appOf: [String: String] = [:]
        for m in mappings {
            appOf[key(m["instance_id"].int, m["name"].text)] = m["app"].text
        }
        var byApp: [String: [Int64]] = [:]
        for row in rows {
            let payload = row["payload"].text.flatMap { try? JSONValue.parse($0) }
            let isReconcile = row["kind"].text == reconcile
            let app = isReconcile ? appOf[key(row["instance_id"].int, payload?["mapping"]?.stringValue)] : payload?["app"]?.stringValue
            guard let app, !apps.contains(app), let id = row["id"].int else { continue }
            byApp[app, default: []].append(id)
        }
        let now = Clock.now()
        for (app, ids) in byApp {
            let reason = "cancelled: \(app) was removed from the instance's apps, so its \(app) work no longer runs"
            try await tx.execute(
                SQL(
                    "UPDATE jobs SET state = 'cancelled', cancelled_at = ?, updated_at = ?, last_error = ? WHERE state IN ('pending', 'waiting') AND id IN (",
                    [.int(now), .int(now), .text(reason)]
                ) + .list(ids.map { .int($0) }) + SQL(")")
            )
        }
    }
}
