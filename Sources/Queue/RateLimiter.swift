import Core
import Foundation
import Synchronization

/// Keeps the sidecar under Zoho's limits as Zoho counts them, per key (an app and the organisation
/// whose allowance it spends): at most `concurrency` calls at once, at most `perWindow` calls started
/// in any window of `windowSeconds` (a sliding window, so never a burst above it), and at most
/// `perDay` calls in any day. A key can also be paused (Zoho answered 429). Callers wait for a free
/// slot or window; a pause or a spent daily quota that outlasts the caller's patience is refused
/// with a `Refusal` saying until when, so the job can wait in the queue instead of in a worker.
///
/// A key with a daily quota (an organization's Books allowance) is also counted in the `CallLedger`,
/// when the limiter has one: the organization's allowance is spent by every sidecar on the database,
/// and a restart must not forget the day's calls.
public final class RateLimiter: Sendable {
    public struct Limit: Sendable, Equatable {
        public var concurrency: Int
        public var perWindow: Int
        public var windowSeconds: Double
        /// Nil: the sidecar keeps no daily count for this key.
        public var perDay: Int?
        public var daySeconds: Double

        public init(concurrency: Int, perWindow: Int, windowSeconds: Double, perDay: Int? = nil, daySeconds: Double = 86_400) {
            self.concurrency = concurrency
            self.perWindow = perWindow
            self.windowSeconds = windowSeconds
            self.perDay = perDay
            self.daySeconds = daySeconds
        }
    }

    /// Why a call may not start now, and when it may.
    public struct Refusal: Error, Sendable, Equatable {
        public enum Reason: Sendable, Equatable {
            /// `perDay` calls were made within the last day.
            case dailyQuota(Int)
            /// The window's calls are spent, for longer than the caller would wait.
            case window
            /// Paused after Zoho answered 429.
            case paused
        }
        public let reason: Reason
        public let until: Micros
    }

    /// How long a caller is willing to wait in the limiter; longer waits are refused. Reconciliations
    /// wait out a full window (they own the job for that); a single push or pull should not hold a
    /// worker that long while other instances' and apps' jobs could run.
    @TaskLocal public static var patienceSeconds: Double = 5

    struct Key {
        var limit: Limit
        var inFlight = 0
        /// Start times within the last window, oldest first.
        var starts: [Micros] = []
        var day: DayCount
        var pausedUntil: Micros = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    enum Next {
        case go
        case waitForSlot
        case sleep(Micros)
        case refuse(Refusal)
    }

    private let keys = Mutex<[String: Key]>([:])
    private let ledger: CallLedger?

    public init(ledger: CallLedger? = nil) {
        self.ledger = ledger
    }

    /// Runs `body` once the key allows another call.
    public func run<T: Sendable>(_ key: String, limit: Limit, _ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire(key, limit: limit)
        defer { release(key) }
        return try await body()
    }

    public func acquire(_ key: String, limit: Limit) async throws {
        let patience = Int64(Self.patienceSeconds * 1e6)
        let shared = limit.perDay != nil ? ledger : nil
        if let shared {
            try await reserve(shared, key, limit, patience: patience)
        }
        while true {
            switch keys.withLock({ Self.next(&$0, key, limit, now: Clock.now(), patience: patience) }) {
            case .go:
                return
            case .refuse(let refusal):
                try? await shared?.cancel(key, limit, now: Clock.now())
                throw refusal
            case .sleep(let micros):
                try await Task.sleep(for: .microseconds(micros))
            case .waitForSlot:
                try Task.checkCancellation()
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = keys.withLock { all -> Bool in
                        guard var k = all[key], k.inFlight >= k.limit.concurrency else { return true }
                        k.waiters.append(c)
                        all[key] = k
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
        }
    }

    /// Counts the call in the ledger, waiting as the local window would, refusing what the caller would not wait for.
    private func reserve(_ ledger: CallLedger, _ key: String, _ limit: Limit, patience: Int64) async throws {
        while true {
            let now = Clock.now()
            guard let refusal = try await ledger.reserve(key, limit, now: now) else { return }
            let window = Int64(limit.windowSeconds * 1e6)
            let wait = refusal.until - now
            guard refusal.reason == .window, wait <= max(patience, min(window, 10_000_000)) else { throw refusal }
            try await Task.sleep(for: .microseconds(wait))
        }
    }

    static func next(_ all: inout [String: Key], _ key: String, _ limit: Limit, now: Micros, patience: Int64) -> Next {
        var k = all[key] ?? Key(limit: limit, day: DayCount(daySeconds: limit.daySeconds))
        defer { all[key] = k }
        k.limit = limit
        k.day.daySeconds = limit.daySeconds
        let window = Int64(limit.windowSeconds * 1e6)
        k.starts.removeAll { now - $0 >= window }
        if k.pausedUntil > now {
            let wait = k.pausedUntil - now
            return wait > patience ? .refuse(Refusal(reason: .paused, until: k.pausedUntil)) : .sleep(wait)
        }
        if let perDay = limit.perDay, k.day.count(now: now) >= perDay {
            return .refuse(Refusal(reason: .dailyQuota(perDay), until: k.day.nextFree(now: now)))
        }
        guard k.inFlight < limit.concurrency else { return .waitForSlot }
        if k.starts.count >= limit.perWindow, let oldest = k.starts.first {
            // A short window (CRM's 10 s) is always waited out in the worker: it only smooths bursts.
            let wait = oldest + window - now + 1
            let windowPatience = max(patience, min(window, 10_000_000))
            return wait > windowPatience ? .refuse(Refusal(reason: .window, until: oldest + window)) : .sleep(wait)
        }
        k.starts.append(now)
        k.day.add(now: now)
        k.inFlight += 1
        return .go
    }

    public func release(_ key: String) {
        let next = keys.withLock { all -> CheckedContinuation<Void, Never>? in
            guard var k = all[key] else { return nil }
            k.inFlight -= 1
            let w = k.waiters.isEmpty ? nil : k.waiters.removeFirst()
            all[key] = k
            return w
        }
        next?.resume()
    }

    /// Zoho answered 429: no call of the key starts before `until` (a later pause wins).
    public func pause(_ key: String, until: Micros, limit: Limit) {
        keys.withLock { all in
            var k = all[key] ?? Key(limit: limit, day: DayCount(daySeconds: limit.daySeconds))
            k.pausedUntil = max(k.pausedUntil, until)
            all[key] = k
        }
    }

    /// What the key has spent: calls in the current window and day (by every sidecar on the database,
    /// for a key the ledger counts), and any pause.
    public func usage(_ key: String, limit: Limit) async -> Usage {
        let now = Clock.now()
        let local = keys.withLock { all in
            guard let k = all[key] else { return Usage(inWindow: 0, inDay: 0, pausedUntil: nil) }
            let window = Int64(k.limit.windowSeconds * 1e6)
            return Usage(
                inWindow: k.starts.filter { now - $0 < window }.count,
                inDay: k.day.count(now: now),
                pausedUntil: k.pausedUntil > now ? k.pausedUntil : nil
            )
        }
        guard let ledger, limit.perDay != nil, let counted = try? await ledger.counted(key, limit, now: now) else { return local }
        return Usage(inWindow: max(local.inWindow, counted.window), inDay: max(local.inDay, counted.day), pausedUntil: local.pausedUntil)
    }

    public struct Usage: Sendable, Equatable {
        public let inWindow: Int
        public let inDay: Int
        public let pausedUntil: Micros?
    }

    public func inFlight(_ key: String) -> Int { keys.withLock { $0[key]?.inFlight ?? 0 } }
}
