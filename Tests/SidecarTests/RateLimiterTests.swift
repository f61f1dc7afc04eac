import Foundation
import Queue
import Synchronization
import Testing

@Suite("Rate limiter")
struct RateLimiterTests {
    @Test("never more calls in flight than the concurrency limit; waiting callers all get their turn")
    func concurrency() async throws {
        let limiter = RateLimiter()
        final class Peak: Sendable { let value = Mutex((now: 0, max: 0)) }
        let peak = Peak()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    try await limiter.run("crm:1", limit: .init(concurrency: 3, rate: 1000, per: 1)) {
                        peak.value.withLock {
                            $0.now += 1
                            $0.max = max($0.max, $0.now)
                        }
                        try await Task.sleep(for: .milliseconds(5))
                        peak.value.withLock { $0.now -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(peak.value.withLock { $0.max } == 3)
        #expect(limiter.inFlight("crm:1") == 0)
    }

    @Test("the token bucket lets a burst through, then spaces calls at the rate")
    func rate() async throws {
        let limiter = RateLimiter()
        let limit = RateLimiter.Limit(concurrency: 100, rate: 10, per: 1)
        let start = ContinuousClock.now
        for _ in 0..<15 { try await limiter.run("books:1", limit: limit) {} }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(400), "10 at once, then 5 more at 10/s")
        #expect(elapsed < .milliseconds(1500))
    }

    @Test("keys are independent: one instance's limit does not slow another")
    func independent() async throws {
        let limiter = RateLimiter()
        let limit = RateLimiter.Limit(concurrency: 1, rate: 1, per: 60)
        try await limiter.run("a", limit: limit) {}
        let start = ContinuousClock.now
        try await limiter.run("b", limit: limit) {}
        #expect(ContinuousClock.now - start < .milliseconds(100))
    }

    @Test("limits follow Zoho's: CRM concurrency by edition, Books per minute")
    func zohoLimits() {
        #expect(RateLimiter.Limit.crm(edition: "free").concurrency == 3)
        #expect(RateLimiter.Limit.crm(edition: "ultimate").concurrency == 23)
        #expect(RateLimiter.Limit.books.rate / RateLimiter.Limit.books.per * 60 <= 100)
    }
}
