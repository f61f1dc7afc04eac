import Foundation
import Synchronization

/// Keeps the sidecar under Zoho's limits instead of bouncing off them: per key (an instance and an
/// app), at most `concurrency` calls at once and at most `rate` calls per `per` seconds, with a
/// burst of up to `rate` (a token bucket). Callers wait their turn; nothing is dropped.
public final class RateLimiter: Sendable {
    public struct Limit: Sendable, Equatable {
        public var concurrency: Int
        public var rate: Double
        public var per: Double

        public init(concurrency: Int, rate: Double, per: Double) {
            self.concurrency = concurrency
            self.rate = rate
            self.per = per
        }
    }

    struct Bucket {
        var limit: Limit
        var inFlight = 0
        var tokens: Double
        var refilled = ContinuousClock.now
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let buckets = Mutex<[String: Bucket]>([:])

    public init() {}

    /// Runs `body` once the key has a free slot and a token.
    public func run<T: Sendable>(_ key: String, limit: Limit, _ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire(key, limit: limit)
        defer { release(key) }
        return try await body()
    }

    public func acquire(_ key: String, limit: Limit) async throws {
        while true {
            let wait: Duration? = buckets.withLock { all in
                var b = all[key] ?? Bucket(limit: limit, tokens: limit.rate)
                b.limit = limit
                let now = ContinuousClock.now
                let elapsed = now - b.refilled
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                b.tokens = min(limit.rate, b.tokens + seconds * limit.rate / limit.per)
                b.refilled = now
                defer { all[key] = b }
                guard b.inFlight < limit.concurrency else { return .zero }  // wait for a release
                guard b.tokens >= 1 else { return .milliseconds(Int64(((1 - b.tokens) * limit.per / limit.rate) * 1000) + 1) }
                b.tokens -= 1
                b.inFlight += 1
                return nil
            }
            guard let wait else { return }
            try Task.checkCancellation()
            if wait == .zero {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = buckets.withLock { all -> Bool in
                        guard var b = all[key], b.inFlight >= b.limit.concurrency else { return true }
                        b.waiters.append(c)
                        all[key] = b
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            } else {
                try await Task.sleep(for: wait)
            }
        }
    }

    public func release(_ key: String) {
        let next = buckets.withLock { all -> CheckedContinuation<Void, Never>? in
            guard var b = all[key] else { return nil }
            b.inFlight -= 1
            let w = b.waiters.isEmpty ? nil : b.waiters.removeFirst()
            all[key] = b
            return w
        }
        next?.resume()
    }

    public func inFlight(_ key: String) -> Int { buckets.withLock { $0[key]?.inFlight ?? 0 } }
}

extension RateLimiter.Limit {
    /// Zoho CRM: concurrency by edition (facts §5), a little under it so other API users of the org
    /// keep room; credits are daily, so the rate only smooths bursts.
    public static func crm(edition: String) -> Self {
        let concurrency = ["free": 5, "standard": 10, "professional": 15, "enterprise": 20, "ultimate": 25][edition] ?? 10
        return Self(concurrency: max(1, concurrency - 2), rate: 100, per: 10)
    }

    /// Zoho Books: 100 requests per minute per organization; concurrency 10 on paid plans.
    public static let books = Self(concurrency: 8, rate: 90, per: 60)
}
