import Core
import Store

/// `get_dashboard_stats`: what the dashboard shows, cheap enough to ask every few seconds. Every
/// figure comes from `tallies` (a few rows per instance, kind and minute) or from an index seek
/// (queue lag), never from counting jobs.
///
/// Scope: every instance of the caller's companies, archived ones included, and the jobs without an
/// instance (instance_id false, entry "(no instance)"), so the per-instance entries add up to the
/// totals. The counts of jobs (`jobs`, `failed_last_day`, `failed_kinds`) each equal the count of a
/// list of zoho.job (docs/operations.md#dashboard-figures); `last_hour`/`last_day` count outcomes
/// (one job may fail, be retried and fail again), which no list of jobs shows.
public enum DashboardStats {
    public static let states = ["pending", "running", "waiting", "done", "failed", "cancelled"]
    static let outcomes = ["done", "failed", "retried"]

    /// `companies`: the caller's allowed companies (nil: all).
    public static func compute(_ store: any Store, companies: [Int64]? = nil, now: Micros = Clock.now()) async throws -> JSONValue {
        let minute = Tallies.minute(now)
        let jobs = try await Tallies.read(store, metric: "jobs", companies: companies)
        let finished = try await Tallies.windows(store, metric: "job_outcomes", now: now, companies: companies)
        let webhooks = try await Tallies.windows(store, metric: "webhooks", now: now, companies: companies)
        let bindings = try await Tallies.read(store, metric: "bindings", companies: companies)
        let donePerMinute = try await Tallies.perMinute(
            store,
            metric: "job_outcomes",
            keySuffix: "/done",
            minutes: 60,
            now: now,
            companies: companies
        )
        let lag = try await queueLag(store, companies: companies, now: now)
        let failedRecently = try await Tallies.windows(store, metric: "failed_jobs", now: now, companies: companies)
        let history = try await DashboardHistory.read(store, companies: companies, now: now)
        let instances = try await DashboardInstances.read(store, companies: companies, now: now)
        func entry(_ id: Int64) -> [String: JSONValue] { instances[id] ?? DashboardInstances.missing(id) }

        // Jobs now, by state: overall, per instance, per instance and kind.
        var total = zeros(states)
        var perInstance: [Int64: [String: Int64]] = [:]
        var perKind: [Int64: [String: [String: Int64]]] = [:]
        for c in jobs {
            let (kind, state) = split(c.key)
            total[state, default: 0] += c.n
            perInstance[c.instanceID, default: zeros(states)][state, default: 0] += c.n
            perKind[c.instanceID, default: [:]][kind, default: zeros(states)][state, default: 0] += c.n
        }
        // Outcomes over the last hour and day.
        var hour = zeros(outcomes)
        var day = zeros(outcomes)
        var instanceHour: [Int64: [String: Int64]] = [:]
        var instanceDay: [Int64: [String: Int64]] = [:]
        for c in finished {
            let (_, outcome) = split(c.key)
            hour[outcome, default: 0] += c.lastHour
            day[outcome, default: 0] += c.lastDay
            instanceHour[c.instanceID, default: zeros(outcomes)][outcome, default: 0] += c.lastHour
            instanceDay[c.instanceID, default: zeros(outcomes)][outcome, default: 0] += c.lastDay
        }
        var hookHour: [String: Int64] = [:]
        var hookDay: [String: Int64] = [:]
        var instanceHooks: [Int64: [String: Int64]] = [:]
        for c in webhooks {
            let (_, verdict) = split(c.key)
            hookHour[verdict, default: 0] += c.lastHour
            hookDay[verdict, default: 0] += c.lastDay
            instanceHooks[c.instanceID, default: [:]][verdict, default: 0] += c.lastDay
        }
        // Jobs failed now whose failure falls in the last day: the list of failed jobs since `since`.
        var failedLastDay: Int64 = 0
        var instanceFailedLastDay: [Int64: Int64] = [:]
        var instanceFailedKinds: [Int64: [String: Int64]] = [:]
        for c in failedRecently {
            failedLastDay += c.lastDay
            instanceFailedLastDay[c.instanceID, default: 0] += c.lastDay
            instanceFailedKinds[c.instanceID, default: [:]][c.key, default: 0] += c.lastDay
        }
        let mappings: [JSONValue] = bindings.sorted { ($0.instanceID, $0.key) < ($1.instanceID, $1.key) }.map { c in
            let parts = c.key.split(separator: "/", maxSplits: 2).map(String.init)
            return [
                "instance_id": .int(c.instanceID), "app": .string(parts.first ?? ""), "object": .string(parts.count > 1 ? parts[1] : ""),
                "odoo_model": .string(parts.count > 2 ? parts[2] : ""), "count": .int(c.n),
            ]
        }

        let ids = Set(instances.keys).union(perInstance.keys).union(instanceDay.keys).union(instanceHooks.keys).sorted()
        var lags: [Int64: Double] = [:]
        for id in ids where (perInstance[id]?["pending"] ?? 0) > 0 {
            lags[id] = try await queueLag(store, instance: id, now: now)
        }
        let perInstanceJSON: [JSONValue] = ids.map { id in
            var e = entry(id)
            e["jobs"] = counts(perInstance[id] ?? zeros(states))
            e["kinds"] = .object((perKind[id] ?? [:]).mapValues(counts))
            e["last_hour"] = counts(instanceHour[id] ?? zeros(outcomes))
            e["last_day"] = counts(instanceDay[id] ?? zeros(outcomes))
            e["webhooks_last_day"] = counts(instanceHooks[id] ?? [:])
            e["failed_last_day"] = .int(instanceFailedLastDay[id] ?? 0)
            e["failed_kinds"] = .object((perKind[id] ?? [:]).compactMapValues { $0["failed"].flatMap { $0 > 0 ? .int($0) : nil } })
            e["failed_kinds_last_day"] = .object((instanceFailedKinds[id] ?? [:]).filter { $0.value != 0 }.mapValues { .int($0) })
            e["queue_lag_seconds"] = .double(lags[id] ?? 0)
            return .object(e)
        }
        let lastHourDone = donePerMinute.values.reduce(0, +)
        return [
            "generated_at": .string(Clock.odooString(now)),
            "since": .string(Clock.odooString(Tallies.dayStart(now) * 60_000_000)),
            "failed_last_day": .int(failedLastDay),
            "jobs": counts(total),
            "instances": .array(perInstanceJSON),
            "last_hour": counts(hour),
            "last_day": counts(day),
            "throughput": [
                "done_last_minute": .int(donePerMinute[minute - 1] ?? 0),
                "done_this_minute": .int(donePerMinute[minute] ?? 0),
                "done_per_minute_last_hour": .double((Double(lastHourDone) / 60 * 10).rounded() / 10),
            ],
            "queue_lag_seconds": .double(lag),
            "webhooks": ["last_hour": counts(hookHour), "last_day": counts(hookDay)],
            "bindings": .array(mappings),
            "history": history,
        ]
    }

    /// How long the most overdue pending job (of one instance, 0 for the jobs without one) has waited
    /// past its due time (0 when none is due). A loose index scan: one seek per distinct priority in
    /// the claim index, then its jobs in due order up to the first of the instance, not a scan of pending jobs.
    public static func queueLag(_ store: any SQLExecutor, companies: [Int64]? = nil, instance: Int64? = nil, now: Micros) async throws -> Double {
        var filter = SQL("")
        if let companies {
            filter = SQL(" AND j.company_id IN (") + (companies.isEmpty ? SQL("NULL") : .list(companies.map { .int($0) })) + SQL(")")
        }
        if let instance {
            filter = filter + (instance == 0 ? SQL(" AND j.instance_id IS NULL") : SQL(" AND j.instance_id = ?", [.int(instance)]))
        }
        let sql =
            SQL(
                """
                WITH RECURSIVE p(priority) AS (
                    SELECT (SELECT j.priority FROM jobs j WHERE j.state = 'pending' ORDER BY j.priority LIMIT 1)
                    UNION ALL
                    SELECT (SELECT j.priority FROM jobs j WHERE j.state = 'pending' AND j.priority > p.priority ORDER BY j.priority LIMIT 1)
                    FROM p WHERE p.priority IS NOT NULL
                )
                SELECT min((SELECT j.eta FROM jobs j WHERE j.state = 'pending' AND j.priority = p.priority
                """
            ) + filter + SQL(" ORDER BY j.eta LIMIT 1)) AS eta FROM p WHERE p.priority IS NOT NULL")
        guard let eta = try await store.query(sql).first?["eta"].int, eta < now else { return 0 }
        return (Double(now - eta) / 1e5).rounded() / 10
    }

    static func zeros(_ keys: [String]) -> [String: Int64] { Dictionary(uniqueKeysWithValues: keys.map { ($0, 0) }) }

    static func counts(_ d: [String: Int64]) -> JSONValue { .object(d.mapValues { .int($0) }) }

    /// "zoho.pull/done" → ("zoho.pull", "done"); kinds may hold dots but never a slash.
    static func split(_ key: String) -> (String, String) {
        guard let slash = key.lastIndex(of: "/") else { return (key, "") }
        return (String(key[..<slash]), String(key[key.index(after: slash)...]))
    }
}
