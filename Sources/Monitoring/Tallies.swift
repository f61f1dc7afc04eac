import Core
import Store

/// The counts the database keeps in `tallies` (see `Schema.sqliteTallies` / `postgresTallies`):
/// reading them costs a few rows however many jobs, bindings or webhook events there are.
public enum Tallies {
    public struct Count: Sendable, Equatable {
        public let companyID: Int64
        public let instanceID: Int64
        public let key: String
        public let minute: Int64
        public let n: Int64
    }

    /// Counts older than 15 days are dropped: the dashboard looks back 14 (UTC) days.
    public static let keptMinutes: Int64 = 15 * 1440
    /// Per-minute counts older than this are folded into hourly ones (`minute` then is the hour's
    /// first minute).
    public static let perMinuteFor: Int64 = 120
    /// Hourly counts of UTC days that ended more than this ago are folded into daily ones (`minute`
    /// then is the day's first minute), after the last day's windows and hours are past them: 14 days
    /// of history are at most 120 + 50 + 15 rows per count.
    public static let perHourFor: Int64 = 26 * 60

    public static func minute(_ t: Micros) -> Int64 { t / 60_000_000 }

    /// Current counts of `metric` (jobs, bindings), summed per company, instance and key.
    public static func read(_ store: any SQLExecutor, metric: String, companies: [Int64]? = nil) async throws -> [Count] {
        let sql =
            SQL("SELECT company_id, instance_id, key, CAST(sum(n) AS BIGINT) AS n FROM tallies WHERE metric = ?", [.text(metric)])
            + companyFilter(companies) + SQL(" GROUP BY company_id, instance_id, key")
        return try await store.query(sql).compactMap { row in
            guard let key = row["key"].text, let n = row["n"].int, n != 0 else { return nil }
            return Count(companyID: row["company_id"].int ?? 0, instanceID: row["instance_id"].int ?? 0, key: key, minute: 0, n: n)
        }
    }

    public struct Windowed: Sendable, Equatable {
        public let companyID: Int64
        public let instanceID: Int64
        public let key: String
        public let lastHour: Int64
        public let lastDay: Int64
    }

    /// The first minute of "the last day": the top of the hour 24 hours ago, where the hourly counts
    /// begin. A figure over the last day counts from here, and the list it opens filters from here.
    public static func dayStart(_ now: Micros) -> Int64 {
        let m = minute(now) - 24 * 60
        return m - m % 60
    }

    /// Per-minute counts of `metric` (job_outcomes, webhooks) over the last hour and the last day,
    /// summed per company, instance and key by the database. The day starts at `dayStart(now)`.
    public static func windows(_ store: any SQLExecutor, metric: String, now: Micros, companies: [Int64]? = nil) async throws -> [Windowed] {
        let m = minute(now)
        let sql =
            SQL(
                """
                SELECT company_id, instance_id, key, CAST(sum(CASE WHEN minute > ? THEN n ELSE 0 END) AS BIGINT) AS hour, CAST(sum(n) AS BIGINT) AS day
                FROM tallies WHERE metric = ? AND minute >= ?
                """,
                [.int(m - 60), .text(metric), .int(dayStart(now))]
            ) + companyFilter(companies) + SQL(" GROUP BY company_id, instance_id, key")
        return try await store.query(sql).compactMap { row in
            guard let key = row["key"].text, let day = row["day"].int, day != 0 else { return nil }
            return Windowed(
                companyID: row["company_id"].int ?? 0,
                instanceID: row["instance_id"].int ?? 0,
                key: key,
                lastHour: row["hour"].int ?? 0,
                lastDay: day
            )
        }
    }

    /// `metric` per minute over the last `minutes`, for keys ending in `suffix` (e.g. "/done").
    public static func perMinute(
        _ store: any SQLExecutor,
        metric: String,
        keySuffix: String,
        minutes: Int64,
        now: Micros,
        companies: [Int64]? = nil
    ) async throws -> [Int64: Int64] {
        let sql =
            SQL(
                "SELECT minute, CAST(sum(n) AS BIGINT) AS n FROM tallies WHERE metric = ? AND minute > ? AND key LIKE ?",
                [.text(metric), .int(minute(now) - minutes), .text("%" + keySuffix)]
            ) + companyFilter(companies) + SQL(" GROUP BY minute")
        var out: [Int64: Int64] = [:]
        for row in try await store.query(sql) { if let m = row["minute"].int { out[m] = row["n"].int ?? 0 } }
        return out
    }

    /// `metric` summed per bucket of `size` minutes (60: hours, 1440: UTC days) from minute `from`
    /// (a bucket's first minute) on, per key; minutes, hours and days alike fall in their bucket.
    public static func buckets(
        _ store: any SQLExecutor,
        metric: String,
        from: Int64,
        size: Int64,
        companies: [Int64]? = nil
    ) async throws -> [Int64: [String: Int64]] {
        let sql =
            SQL(
                "SELECT minute - minute % ? AS bucket, key, CAST(sum(n) AS BIGINT) AS n FROM tallies WHERE metric = ? AND minute >= ?",
                [.int(size), .text(metric), .int(from)]
            ) + companyFilter(companies) + SQL(" GROUP BY 1, 2")
        var out: [Int64: [String: Int64]] = [:]
        for row in try await store.query(sql) {
            guard let bucket = row["bucket"].int, let key = row["key"].text, let n = row["n"].int else { continue }
            out[bucket, default: [:]][key, default: 0] += n
        }
        return out
    }

    static func companyFilter(_ companies: [Int64]?) -> SQL {
        guard let companies else { return SQL("") }
        return SQL(" AND company_id IN (") + (companies.isEmpty ? SQL("NULL") : .list(companies.map { .int($0) })) + SQL(")")
    }

    /// Folds per-minute counts older than `perMinuteFor` into hourly ones and hourly ones older than
    /// `perHourFor` into daily ones, drops counts older than `keptMinutes` and counts back at zero,
    /// and on PostgreSQL folds the appended deltas into one row per count. Safe beside writers and
    /// other sidecars compacting: rows committed after a statement began are left for the next round.
    public static func compact(_ store: any Store, now: Micros = Clock.now()) async throws {
        let m = minute(now)
        let oldest = m - keptMinutes
        let fold = (m - perMinuteFor) - (m - perMinuteFor) % 60
        let foldDays = (m - perHourFor) - (m - perHourFor) % 1440
        try await store.transaction { tx in
            try await tx.execute(SQL("DELETE FROM tallies WHERE minute > 0 AND minute < ?", [.int(oldest)]))
            switch tx.engine {
            case .postgres:
                try await tx.execute(
                    SQL(
                        """
                        WITH folded AS (DELETE FROM tallies RETURNING metric, company_id, instance_id, key, minute, n)
                        INSERT INTO tallies SELECT metric, company_id, instance_id, key, hour, sum(n) FROM (
                            SELECT metric, company_id, instance_id, key, CASE
                                WHEN minute > 0 AND minute < ? THEN minute - minute % 1440
                                WHEN minute > 0 AND minute < ? THEN minute - minute % 60
                                ELSE minute END AS hour, n
                            FROM folded) f
                        GROUP BY metric, company_id, instance_id, key, hour HAVING sum(n) <> 0
                        """,
                        [.int(foldDays), .int(fold)]
                    )
                )
            case .sqlite:
                // Days first, then hours: each fold adds its rows into the bucket's first minute.
                for (before, size) in [(foldDays, Int64(1440)), (fold, Int64(60))] {
                    try await tx.execute(
                        SQL(
                            """
                            INSERT INTO tallies SELECT metric, company_id, instance_id, key, minute - minute % ?, sum(n) FROM tallies
                            WHERE minute > 0 AND minute % ? <> 0 AND minute < ?
                            GROUP BY metric, company_id, instance_id, key, 5
                            ON CONFLICT (metric, company_id, instance_id, key, minute) DO UPDATE SET n = tallies.n + excluded.n
                            """,
                            [.int(size), .int(size), .int(before)]
                        )
                    )
                    try await tx.execute(
                        SQL("DELETE FROM tallies WHERE (minute > 0 AND minute % ? <> 0 AND minute < ?) OR n = 0", [.int(size), .int(before)])
                    )
                }
            }
        }
    }
}
