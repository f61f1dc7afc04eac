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
                "SELECT id, kind, payload FROM jobs WHERE state IN ('pending', 'waiting') AND kind IN (?, ?) AND instance_id IN (",
                [.text(reconcile), .text(pull)]
            )
                + .list(instanceIDs.map { .int($0) }) + SQL(")")
        )
        var byApp: [String: [Int64]] = [:]
        for row in rows {
            let payload = row["payload"].text.flatMap { try? JSONValue.parse($0) }
            let app =
                row["kind"].text == reconcile ? payload?["mapping"]?.stringValue.flatMap(BuiltinMappings.named)?.app : payload?["app"]?.stringValue
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
