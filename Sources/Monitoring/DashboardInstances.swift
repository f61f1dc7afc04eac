import Core
import Store

/// What the dashboard shows of each instance beside its counts: whether it is archived, its access
/// token, its CRM notification channels and the last webhook it received. Every instance of the
/// caller's companies is read, archived ones included, since their jobs are in every total.
enum DashboardInstances {
    /// One row per instance: a handful of rows, with two lookups per instance on `channels`.
    static func read(_ store: any SQLExecutor, companies: [Int64]?, now: Micros) async throws -> [Int64: [String: JSONValue]] {
        let sql =
            SQL(
                """
                SELECT i.id, i.name, i.state, i.active, i.token_expires_at,
                       (SELECT count(*) FROM channels c WHERE c.instance_id = i.id) AS channels,
                       (SELECT min(c.expires_at) FROM channels c WHERE c.instance_id = i.id) AS channel_expiry
                FROM instances i WHERE 1 = 1
                """
            ) + Tallies.companyFilter(companies)
        let lastHooks = try await lastWebhookMinutes(store, companies: companies, now: now)
        var out: [Int64: [String: JSONValue]] = [:]
        for row in try await store.query(sql) {
            guard let id = row["id"].int else { continue }
            out[id] = [
                "instance_id": .int(id),
                "name": .string(row["name"].text ?? ""),
                "state": .string(row["state"].text ?? ""),
                "active": .bool((row["active"].int ?? 1) != 0),
                "token_expiry": datetime(row["token_expires_at"].int),
                "channels": .int(row["channels"].int ?? 0),
                "channel_expiry": datetime(row["channel_expiry"].int),
                "last_webhook": datetime(lastHooks[id].map { $0 * 60_000_000 }),
            ]
        }
        return out
    }

    /// The entry of an id without an instance row: 0 is "no instance" (jobs not tied to one).
    static func missing(_ id: Int64) -> [String: JSONValue] {
        [
            "instance_id": id == 0 ? .bool(false) : .int(id),
            "name": .string(id == 0 ? "(no instance)" : "instance \(id)"),
            "state": .null,
            "active": .bool(true),
            "token_expiry": .bool(false),
            "channels": .int(0),
            "channel_expiry": .bool(false),
            "last_webhook": .bool(false),
        ]
    }

    /// The minute of each instance's last webhook within the last day, from the tallies (the audit
    /// log itself is not scanned): the figure is as precise as the minute, and "none" means none in a day.
    static func lastWebhookMinutes(_ store: any SQLExecutor, companies: [Int64]?, now: Micros) async throws -> [Int64: Int64] {
        let sql =
            SQL(
                "SELECT instance_id, max(minute) AS minute FROM tallies WHERE metric = 'webhooks' AND minute >= ? AND n > 0",
                [.int(Tallies.dayStart(now))]
            ) + Tallies.companyFilter(companies) + SQL(" GROUP BY instance_id")
        var out: [Int64: Int64] = [:]
        for row in try await store.query(sql) {
            if let id = row["instance_id"].int, let minute = row["minute"].int { out[id] = minute }
        }
        return out
    }

    /// Odoo's form of a datetime, or false (Odoo's empty value) for none.
    static func datetime(_ micros: Int64?) -> JSONValue {
        micros.map { .string(Clock.odooString($0)) } ?? .bool(false)
    }
}
