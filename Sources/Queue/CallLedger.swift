import Core
import Store

/// Zoho calls counted in the store, for the limits that every sidecar on one database shares and that
/// must outlive a restart: an organization's Books allowance per minute and per day. Calls are counted
/// in buckets (a sixth of the window, a 24th of the day); a call is refused when the buckets that
/// overlap the last window or day already hold the limit, so the count is never lower than Zoho's.
/// Two sidecars counting across a bucket boundary at the same instant may each miss the other's call:
/// the limits the sidecar keeps stay a little under Zoho's for that.
public struct CallLedger: Sendable {
    let store: any Store

    public init(store: any Store) {
        self.store = store
    }

    /// Counts one call of `key`, or returns why it may not start and until when (and counts nothing).
    func reserve(_ key: String, _ limit: RateLimiter.Limit, now: Micros) async throws -> RateLimiter.Refusal? {
        let counters = Self.counters(key, limit)
        do {
            try await store.transaction(durability: .relaxed) { tx in
                for counter in counters {
                    try await counter.count(tx, now: now)
                }
            }
            return nil
        } catch let over as Over {
            let reason: RateLimiter.Refusal.Reason = over.counter == counters[0].name ? .window : .dailyQuota(limit.perDay ?? 0)
            return RateLimiter.Refusal(reason: reason, until: over.until)
        }
    }

    /// Gives back a call counted but not made.
    func cancel(_ key: String, _ limit: RateLimiter.Limit, now: Micros) async throws {
        let counters = Self.counters(key, limit)
        try await store.transaction(durability: .relaxed) { tx in
            for counter in counters {
                let bucket = counter.bucket(now)
                try await tx.execute(
                    SQL(
                        "UPDATE zoho_call_counts SET calls = calls - 1 WHERE counter = ? AND bucket = ? AND calls > 0",
                        [.text(counter.name), .int(bucket)]
                    )
                )
            }
        }
    }

    /// The calls counted for `key` within the window and the day that end now.
    func counted(_ key: String, _ limit: RateLimiter.Limit, now: Micros) async throws -> (window: Int, day: Int) {
        let counters = Self.counters(key, limit)
        let day = counters.count > 1 ? try await counters[1].sum(store, now: now) : 0
        return (try await counters[0].sum(store, now: now), day)
    }

    /// The window's counter, then the day's when the limit has a daily quota.
    static func counters(_ key: String, _ limit: RateLimiter.Limit) -> [Counter] {
        let window = Counter(name: "\(key)|window", span: limit.windowSeconds, buckets: 6, limit: limit.perWindow)
        guard let perDay = limit.perDay else { return [window] }
        return [window, Counter(name: "\(key)|day", span: limit.daySeconds, buckets: 24, limit: perDay)]
    }

    struct Over: Error {
        let counter: String
        let until: Micros
    }

    struct Counter {
        let name: String
        let span: Double
        let buckets: Int
        let limit: Int

        var bucketMicros: Int64 { max(1, Int64(span * 1e6) / Int64(buckets)) }

        func bucket(_ now: Micros) -> Int64 { now / bucketMicros }

        /// The oldest bucket that overlaps the span ending now.
        func first(_ now: Micros) -> Int64 { bucket(now) - Int64(buckets) }

        func count(_ tx: any SQLExecutor, now: Micros) async throws {
            try await tx.execute(SQL("DELETE FROM zoho_call_counts WHERE counter = ? AND bucket < ?", [.text(name), .int(first(now))]))
            try await tx.execute(
                SQL(
                    """
                    INSERT INTO zoho_call_counts (counter, bucket, calls) VALUES (?, ?, 1)
                    ON CONFLICT (counter, bucket) DO UPDATE SET calls = zoho_call_counts.calls + 1
                    """,
                    [.text(name), .int(bucket(now))]
                )
            )
            let rows = try await tx.query(
                SQL(
                    "SELECT bucket, calls FROM zoho_call_counts WHERE counter = ? AND bucket >= ? ORDER BY bucket",
                    [.text(name), .int(first(now))]
                )
            )
            let total = rows.compactMap { $0["calls"].int }.reduce(0, +)
            guard total > Int64(limit) else { return }
            // Free again once enough of the oldest buckets have left the span.
            var excess = total - Int64(limit)
            var freedAt = first(now)
            for row in rows {
                freedAt = row["bucket"].int ?? freedAt
                excess -= row["calls"].int ?? 0
                if excess <= 0 { break }
            }
            throw Over(counter: name, until: (freedAt + Int64(buckets) + 1) * bucketMicros)
        }

        func sum(_ executor: any SQLExecutor, now: Micros) async throws -> Int {
            let rows = try await executor.query(
                SQL("SELECT calls FROM zoho_call_counts WHERE counter = ? AND bucket >= ?", [.text(name), .int(first(now))])
            )
            return Int(rows.compactMap { $0["calls"].int }.reduce(0, +))
        }
    }
}
