import Core
import Foundation
import Queue
import Store
import Synchronization
import Testing
import ZohoAPI

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
                    try await limiter.run("crm:1", limit: .init(concurrency: 3, perWindow: 1000, windowSeconds: 1)) {
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

    @Test("no burst: never more than the window's calls start within any window, the first one included")
    func slidingWindow() async throws {
        let limiter = RateLimiter()
        let limit = RateLimiter.Limit(concurrency: 100, perWindow: 5, windowSeconds: 0.5)
        var starts: [ContinuousClock.Instant] = []
        for _ in 0..<12 { starts.append(try await limiter.run("books:eu:1", limit: limit) { ContinuousClock.now }) }
        for i in 0..<(starts.count - 5) {
            #expect(starts[i + 5] - starts[i] >= .milliseconds(500), "call \(i + 5) started \(starts[i + 5] - starts[i]) after call \(i)")
        }
    }

    @Test("the daily quota is refused at once, saying until when, rather than waited for in a worker")
    func dailyQuota() async throws {
        let limiter = RateLimiter()
        let limit = RateLimiter.Limit(concurrency: 10, perWindow: 100, windowSeconds: 60, perDay: 3, daySeconds: 86_400)
        for _ in 0..<3 { try await limiter.run("books:eu:1", limit: limit) {} }
        let start = ContinuousClock.now
        await #expect(throws: RateLimiter.Refusal.self) { try await limiter.run("books:eu:1", limit: limit) {} }
        #expect(ContinuousClock.now - start < .seconds(5), "refused, not waited for: the quota frees in hours")
        do {
            try await limiter.acquire("books:eu:1", limit: limit)
        } catch let refusal as RateLimiter.Refusal {
            #expect(refusal.reason == .dailyQuota(3))
            #expect(refusal.until > Clock.now() && refusal.until <= Clock.now() + 86_400_000_000 + 3_600_000_000)
        }
        #expect(await limiter.usage("books:eu:1", limit: limit).inDay == 3)
    }

    @Test(
        "an organization's Books allowance is one for every sidecar on the database, and a restart does not forget the day's calls",
        arguments: TestStores.engines
    )
    func sharedAllowance(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let window = RateLimiter.Limit(concurrency: 10, perWindow: 4, windowSeconds: 600, perDay: 100, daySeconds: 86_400)
            let one = RateLimiter(ledger: CallLedger(store: store))
            let two = RateLimiter(ledger: CallLedger(store: store))
            try await RateLimiter.$patienceSeconds.withValue(0) {
                for limiter in [one, two, one, two] { try await limiter.run("books:eu:7", limit: window) {} }
                await #expect(throws: RateLimiter.Refusal.self, "the window's four calls are spent, by both") {
                    try await two.run("books:eu:7", limit: window) {}
                }
                #expect(await one.usage("books:eu:7", limit: window).inWindow == 4)

                let day = RateLimiter.Limit(concurrency: 10, perWindow: 100, windowSeconds: 60, perDay: 3, daySeconds: 86_400)
                for limiter in [one, two] { try await limiter.run("books:eu:8", limit: day) {} }
                let restarted = RateLimiter(ledger: CallLedger(store: store))
                try await restarted.run("books:eu:8", limit: day) {}
                do {
                    try await restarted.acquire("books:eu:8", limit: day)
                    Issue.record("a fourth call of the day started")
                } catch let refusal as RateLimiter.Refusal {
                    #expect(refusal.reason == .dailyQuota(3))
                }
            }
        }
    }

    @Test("a pause after a 429 holds the key: a short one is waited out, a long one refused for the job to wait in the queue")
    func pause() async throws {
        let limiter = RateLimiter()
        let limit = RateLimiter.Limit(concurrency: 10, perWindow: 100, windowSeconds: 60)
        limiter.pause("books:eu:1", until: Clock.now() + 200_000, limit: limit)
        let start = ContinuousClock.now
        try await limiter.run("books:eu:1", limit: limit) {}
        #expect(ContinuousClock.now - start >= .milliseconds(190))
        limiter.pause("books:eu:1", until: Clock.now() + 60_000_000, limit: limit)
        await #expect(throws: RateLimiter.Refusal.self) { try await limiter.run("books:eu:1", limit: limit) {} }
        try await limiter.run("crm:1", limit: limit) {}
    }

    @Test("keys are independent: one organisation's limit does not slow another")
    func independent() async throws {
        let limiter = RateLimiter()
        let limit = RateLimiter.Limit(concurrency: 1, perWindow: 1, windowSeconds: 60)
        try await limiter.run("a", limit: limit) {}
        let start = ContinuousClock.now
        try await limiter.run("b", limit: limit) {}
        #expect(ContinuousClock.now - start < .seconds(5), "not the minute that a's window holds")
    }

    @Test(
        "limits follow Zoho's: CRM concurrency by edition and no window below 100 calls a second (Zoho counts none); Books under 100 a minute and the plan's quota a day, per organization"
    )
    func zohoLimits() {
        #expect(ZohoLimits.crm(edition: "free").concurrency == 3)
        #expect(ZohoLimits.crm(edition: "ultimate").concurrency == 23)
        let crm = ZohoLimits.crm(edition: "enterprise")
        #expect(Double(crm.perWindow) / crm.windowSeconds >= 100, "a CRM window of 10 calls a second held the sync to 10 edits a second")
        let books = ZohoLimits().books
        #expect(books.perWindow <= 100 && books.windowSeconds == 60)
        #expect(books.perDay == 1_000 && books.daySeconds == 86_400)
        let one = ZohoClient.limitKey(.books, instanceID: 1, dataCenter: "eu", booksOrganizationID: "42")
        #expect(
            one == ZohoClient.limitKey(.books, instanceID: 2, dataCenter: "eu", booksOrganizationID: "42"),
            "two instances on one organization share"
        )
    }
}
