import Foundation
import Synchronization

/// A token bucket per key that answers at once: take a token, or learn how long until one is free.
/// Callers key buckets by something bounded (an instance that passed the lookup, one bucket for all
/// RPC), so memory stays bounded whatever a flood sends.
public final class BurstLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var refilled: ContinuousClock.Instant
    }

    let rate: Double
    let burst: Double
    private let buckets = Mutex<[Int64: Bucket]>([:])

    public init(rate: Double, burst: Double) {
        self.rate = max(rate, 0.001)
        self.burst = max(burst, 1)
    }

    /// nil when the request may pass; otherwise the whole seconds until a token is free (for Retry-After).
    public func take(_ key: Int64) -> Int? {
        buckets.withLock { all in
            let now = ContinuousClock.now
            var b = all[key] ?? Bucket(tokens: burst, refilled: now)
            let elapsed = now - b.refilled
            b.tokens = min(burst, b.tokens + (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * rate)
            b.refilled = now
            defer { all[key] = b }
            guard b.tokens >= 1 else { return max(1, Int(((1 - b.tokens) / rate).rounded(.up))) }
            b.tokens -= 1
            return nil
        }
    }
}
