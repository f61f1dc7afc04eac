import Core
import Foundation
import Queue
import Store
import Synchronization
import Testing

/// Runs a worker pool over `store` while `body` runs, then stops it.
func withWorkers<T>(
    _ store: any Store,
    _ handlers: [Handler],
    settings: QueueSettings = QueueSettings(),
    pools: Int = 1,
    _ body: (JobQueue) async throws -> T
) async throws -> T {
    let queue = JobQueue(store: store)
    try await settings.save(store)
    let workers = (0..<pools).map { _ in
        WorkerPool(
            queue: queue,
            handlers: HandlerRegistry(handlers),
            settings: settings,
            options: .init(maintenanceInterval: .milliseconds(200), idlePoll: .milliseconds(100))
        )
    }
    let tasks = workers.map { w in Task { await w.run() } }
    do {
        let result = try await body(queue)
        for w in workers { await w.stop(grace: .seconds(5)) }
        for t in tasks { await t.value }
        return result
    } catch {
        for w in workers { await w.stop(grace: .seconds(1)) }
        for t in tasks { await t.value }
        throw error
    }
}

/// Polls until `condition` holds (10 s at most).
func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for: \(what)")
}

final class Counter: Sendable {
    let ids = Mutex<[Int64]>([])
    func add(_ id: Int64) { ids.withLock { $0.append(id) } }
    var count: Int { ids.withLock { $0.count } }
    var all: [Int64] { ids.withLock { $0 } }
}

@Suite("Job queue")
struct QueueTests {
    static let fast: QueueSettings = {
        var s = QueueSettings()
        s.retryBackoffBaseSeconds = 0.05
        s.retryBackoffCapSeconds = 0.2
        s.leaseSeconds = 30
        s.maxRuntimeSeconds = 10
        return s
    }()

    @Test("a job runs once and ends done with its result", arguments: TestStores.engines)
    func runsToDone(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let ran = Counter()
            let h = Handler(kind: "echo") { ctx in
                ran.add(ctx.job.id)
                return ["seen": ctx.job.payload]
            }
            try await withWorkers(store, [h]) { queue in
                let id = try await queue.enqueue(NewJob(kind: "echo", payload: ["n": 1]))
                try await eventually("done") { try await queue.job(id)?.state == .done }
                let row = try await store.query(SQL("SELECT result, attempts, done_at FROM jobs WHERE id = ?", [.int(id)])).first!
                #expect(row["result"].text == #"{"seen":{"n":1}}"#)
                #expect(row["attempts"].int == 1)
                #expect(row["done_at"].int != nil)
                #expect(ran.all == [id])
            }
        }
    }

    @Test("retryable errors back off and retry until max attempts, then fail with the cause chain", arguments: TestStores.engines)
    func retriesThenFails(engine: Engine) async throws {
        struct Root: Error, CustomStringConvertible { var description: String { "socket closed by 127.0.0.1" } }
        try await TestStores.withStore(engine) { store in
            let tries = Counter()
            let h = Handler(kind: "flaky") { ctx in
                tries.add(ctx.job.id)
                throw JobError(
                    .retryable,
                    "Zoho answered 502",
                    cause: Root(),
                    exchange: ["request": "GET /crm/v8/Contacts", "authorization": "Zoho-oauthtoken 1000.abcdef123456.abcdef"]
                )
            }
            try await withWorkers(store, [h], settings: Self.fast) { queue in
                let id = try await queue.enqueue(NewJob(kind: "flaky", maxAttempts: 3))
                try await eventually("failed") { try await queue.job(id)?.state == .failed }
                #expect(tries.count == 3)
                let row = try await store.query(SQL("SELECT last_error, error_chain, last_exchange, attempts FROM jobs WHERE id = ?", [.int(id)]))
                    .first!
                #expect(row["attempts"].int == 3)
                #expect(row["last_error"].text == "Zoho answered 502")
                #expect(row["error_chain"].text == #"["Zoho answered 502","socket closed by 127.0.0.1"]"#)
                #expect(row["last_exchange"].text?.contains("1000.abcdef") == false, "stored exchanges are masked")
            }
        }
    }

    @Test("a job that failed once and then succeeded is done with no error left on it", arguments: TestStores.engines)
    func doneClearsTheLastError(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let once = Handler(kind: "once") { ctx in
                if ctx.job.attempts < 2 { throw JobError(.retryable, "Zoho answered 502") }
                return ["ok": true]
            }
            let plain = Handler(kind: "plain") { ctx in
                if ctx.job.attempts < 2 { throw JobError(.retryable, "Zoho answered 503") }
                return nil
            }
            try await withWorkers(store, [once, plain], settings: Self.fast) { queue in
                let withResult = try await queue.enqueue(NewJob(kind: "once", maxAttempts: 3))
                let withoutResult = try await queue.enqueue(NewJob(kind: "plain", maxAttempts: 3))
                for id in [withResult, withoutResult] {
                    try await eventually("done") { try await queue.job(id)?.state == .done }
                    let row = try await store.query(SQL("SELECT last_error, error_chain, attempts FROM jobs WHERE id = ?", [.int(id)])).first!
                    #expect(row["attempts"].int == 2)
                    #expect(row["last_error"].text == nil && row["error_chain"].text == nil, "job \(id): \(row)")
                }
            }
        }
    }

    @Test("permanent errors, unknown kinds and undecodable payloads fail at once", arguments: TestStores.engines)
    func permanentFailures(engine: Engine) async throws {
        struct Payload: Codable, Sendable {
            let contactID: Int
            enum CodingKeys: String, CodingKey { case contactID = "contact_id" }
        }
        try await TestStores.withStore(engine) { store in
            let bad = Handler(kind: "bad") { _ in throw JobError(.permanent, "INVALID_DATA: Email") }
            let typed = Handler.typed("typed", Payload.self) { p, _ in ["got": .int(Int64(p.contactID))] }
            try await withWorkers(store, [bad, typed], settings: Self.fast) { queue in
                let a = try await queue.enqueue(NewJob(kind: "bad"))
                let b = try await queue.enqueue(NewJob(kind: "nobody-handles-this"))
                let c = try await queue.enqueue(NewJob(kind: "typed", payload: ["contact_id": "not a number"]))
                let d = try await queue.enqueue(NewJob(kind: "typed", payload: ["contact_id": 42]))
                try await eventually("all settled") {
                    let states = try await [a, b, c, d].asyncMap { try await queue.job($0)?.state }
                    return states == [.failed, .failed, .failed, .done]
                }
                #expect(try await queue.job(a)?.attempts == 1)
                #expect(try await queue.job(b)?.lastError?.contains("no handler is registered for kind 'nobody-handles-this'") == true)
                let undecodable = try #require(try await queue.job(c)?.lastError)
                #expect(undecodable.contains("the payload's field 'contact_id' should be a whole number"), "\(undecodable)")
                for word in ["DecodingError", "CodingKeys", "Payload", "keyNotFound"] {
                    #expect(!undecodable.contains(word), "no Swift internals in what a person reads: \(undecodable)")
                }
            }
        }
    }

    @Test("the backoff doubles from the base, is capped, and is jittered between 50 and 100 %")
    func backoff() {
        var s = QueueSettings()
        s.retryBackoffBaseSeconds = 2
        s.retryBackoffCapSeconds = 60
        #expect((1...7).map { s.backoff(attempt: $0, random: 1) } == [2, 4, 8, 16, 32, 60, 60])
        #expect(s.backoff(attempt: 3, random: 0.5) == 4)
        for _ in 0..<100 { #expect((2.0...4.0).contains(s.backoff(attempt: 2))) }
    }

    @Test("many concurrent enqueues with one identity key make one job", arguments: TestStores.engines)
    func identityRace(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<50 { group.addTask { try await queue.enqueue(NewJob(kind: "push", identityKey: "push:res.partner:7")) } }
                return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            #expect(try await store.scalar(SQL("SELECT count(*) FROM jobs")).int == 1)
            try await store.execute(SQL("UPDATE jobs SET state = 'done'"))
            let again = try await queue.enqueue(NewJob(kind: "push", identityKey: "push:res.partner:7"))
            #expect(!ids.contains(again), "a finished job frees its key")
        }
    }

    @Test("two worker pools on one database run 10,000 jobs, each exactly once", arguments: TestStores.engines)
    func twoPoolsExactlyOnce(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let seen = Counter()
            let h = Handler(kind: "count") { ctx in
                seen.add(ctx.job.id)
                return nil
            }
            try await withWorkers(store, [h], pools: 2) { queue in
                let ids = try await queue.enqueue((0..<10_000).map { _ in NewJob(kind: "count") })
                try await eventually("all done", timeout: .seconds(60)) { try await queue.counts()[.done] == 10_000 }
                #expect(seen.count == 10_000)
                #expect(Set(seen.all) == Set(ids))
            }
        }
    }

    @Test("a job whose worker died is rescued after its lease and completes", arguments: TestStores.engines)
    func rescue(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            let id = try await queue.enqueue(NewJob(kind: "work"))
            // A worker that claims and then dies: nobody renews its lease.
            let claimed = try await queue.claim(limit: 10, worker: "dead-worker", leaseSeconds: 0.3)
            #expect(claimed.map(\.id) == [id])
            let ran = Counter()
            try await withWorkers(
                store,
                [
                    Handler(kind: "work") { ctx in
                        ran.add(ctx.job.id)
                        return nil
                    }
                ],
                settings: Self.fast
            ) { queue in
                try await eventually("rescued and done") { try await queue.job(id)?.state == .done }
                #expect(try await queue.job(id)?.attempts == 2, "the dead worker's attempt still counts")
                #expect(ran.all == [id])
            }
        }
    }

    @Test(
        "a throttled job (the token-refresh throttle, Odoo unreachable) pauses every job of the instance without burning attempts",
        arguments: TestStores.engines
    )
    func throttlePausesInstance(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let ran = Counter()
            let throttled = Mutex(false)
            let h = Handler(kind: "zoho") { ctx in
                let first = throttled.withLock { t in
                    defer { t = true }
                    return !t
                }
                if first { throw JobError(.throttled(retryAfter: 3.0), "429 TOO_MANY_REQUESTS") }
                ran.add(ctx.job.id)
                return nil
            }
            try await withWorkers(
                store,
                [h],
                settings: {
                    var s = Self.fast
                    s.concurrency = 1
                    return s
                }()
            ) { queue in
                let first = try await queue.enqueue(NewJob(kind: "zoho", instanceID: 7, priority: 1))
                try await eventually("paused") { try await store.scalar(SQL("SELECT count(*) FROM instance_pauses")).int == 1 }
                let started = Clock.now()
                let second = try await queue.enqueue(NewJob(kind: "zoho", instanceID: 7))
                let other = try await queue.enqueue(NewJob(kind: "zoho", instanceID: 8))
                try await eventually("other instance runs at once") { try await queue.job(other)?.state == .done }
                #expect(try await queue.job(second)?.state == .pending, "same instance waits")
                try await eventually("all done") {
                    let a = try await queue.job(first)?.state
                    let b = try await queue.job(second)?.state
                    return a == .done && b == .done
                }
                #expect(Clock.now() - started >= 2_800_000, "waited for Retry-After")
                #expect(try await queue.job(first)?.attempts == 1, "the throttled attempt was refunded")
            }
        }
    }

    @Test("needs-reauth parks the instance's jobs as waiting; re-authorizing resumes them", arguments: TestStores.engines)
    func waitingForReauth(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let authorized = Mutex(false)
            let ran = Counter()
            let keeper = JobQueue(store: store)
            let h = Handler(kind: "zoho") { ctx in
                guard authorized.withLock({ $0 }) else {
                    // As the token keeper does on Zoho's invalid_code: park the instance, then fail the call.
                    try await keeper.holdForReauthorization(3)
                    throw JobError(.needsReauth, "refresh token revoked (invalid_code)")
                }
                ran.add(ctx.job.id)
                return nil
            }
            try await withWorkers(store, [h], settings: Self.fast) { queue in
                let ids = try await queue.enqueue((0..<5).map { _ in NewJob(kind: "zoho", instanceID: 3) })
                try await eventually("all waiting") {
                    try await ids.asyncMap { try await queue.job($0)?.state } == Array(repeating: .waiting, count: 5)
                }
                let later = try await queue.enqueue(NewJob(kind: "zoho", instanceID: 3))
                try await Task.sleep(for: .milliseconds(300))
                let held = try await queue.job(later)?.state
                #expect(held == .pending || held == .waiting, "new jobs of the instance do not run either: \(String(describing: held))")
                authorized.withLock { $0 = true }
                try await queue.resumeInstance(3)
                try await eventually("all done") { try await (ids + [later]).asyncMap { try await queue.job($0)?.state }.allSatisfy { $0 == .done } }
                #expect(try await ids.asyncMap { try await queue.job($0)?.attempts }.allSatisfy { $0 == 1 }, "waiting cost no attempt")
            }
        }
    }

    @Test("a handler over its timeout is stopped and retried", arguments: TestStores.engines)
    func timeout(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let slow = Handler(kind: "slow", timeoutSeconds: 0.2) { _ in
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            try await withWorkers(store, [slow], settings: Self.fast) { queue in
                let id = try await queue.enqueue(NewJob(kind: "slow", maxAttempts: 2))
                try await eventually("failed after two timeouts") { try await queue.job(id)?.state == .failed }
                #expect(try await queue.job(id)?.lastError?.contains("timeout of 0.2 s") == true)
            }
        }
    }

    @Test("operators retry, cancel, requeue failed jobs and purge old done ones", arguments: TestStores.engines)
    func operations(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            let ids = try await queue.enqueue((0..<4).map { _ in NewJob(kind: "x") })
            try await store.execute(SQL("UPDATE jobs SET state = 'failed', attempts = 5 WHERE id IN (?, ?)", [.int(ids[0]), .int(ids[1])]))
            #expect(try await queue.retry([ids[0]]) == 1)
            #expect(try await queue.job(ids[0])?.state == .pending)
            #expect(try await queue.job(ids[0])?.attempts == 0)
            #expect(try await queue.cancel([ids[2]]) == 1)
            #expect(try await queue.requeueFailed() == 1)
            try await store.execute(SQL("UPDATE jobs SET state = 'done' WHERE id = ?", [.int(ids[3])]))
            try await store.execute(SQL("UPDATE jobs SET updated_at = 0 WHERE state IN ('done', 'cancelled')"))
            #expect(try await queue.purge(olderThanDays: 1) == 2, "old done and cancelled jobs")
            #expect(try await queue.counts() == [.pending: 2])
        }
    }

    @Test("settings persist, and invalid ones are refused with the setting's name", arguments: TestStores.engines)
    func settings(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            var s = QueueSettings()
            s.concurrency = 7
            try await s.save(store)
            #expect(try await QueueSettings.load(store).concurrency == 7)
            s.leaseSeconds = 10
            s.maxRuntimeSeconds = 20
            #expect { try s.validate() } throws: { "\($0)".contains("lease_seconds") }
        }
    }

    @Test("stopping lets running jobs finish, and releases those that overrun the grace period", arguments: TestStores.engines)
    func gracefulStop(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            let quick = Handler(kind: "quick") { _ in
                try await Task.sleep(for: .milliseconds(200))
                return nil
            }
            let stuck = Handler(kind: "stuck") { _ in
                try await Task.sleep(for: .seconds(60))
                return nil
            }
            try await Self.fast.save(store)
            let pool = WorkerPool(queue: queue, handlers: HandlerRegistry([quick, stuck]), settings: Self.fast)
            let task = Task { await pool.run() }
            let a = try await queue.enqueue(NewJob(kind: "quick"))
            let b = try await queue.enqueue(NewJob(kind: "stuck"))
            try await eventually("both running") { pool.runningCount == 2 }
            await pool.stop(grace: .milliseconds(600))
            await task.value
            #expect(try await queue.job(a)?.state == .done)
            let released = try await queue.job(b)
            #expect(released?.state == .pending)
            #expect(released?.attempts == 0, "a released job keeps its attempts")
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}

@Suite("Instance pauses")
struct InstancePauseTests {
    @Test(
        "a job that meets a revoked token after its instance was authorized again goes back to pending, not waiting forever",
        arguments: TestStores.engines
    )
    func waitingAfterResume(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            let id = try await queue.enqueue(NewJob(kind: "zoho", instanceID: 9))
            let claimed = try await queue.claim(limit: 1, worker: "w", leaseSeconds: 60)
            // While it runs: the token is revoked, then the instance is authorized again.
            try await queue.holdForReauthorization(9)
            try await queue.resumeInstance(9)
            try await queue.finish([(claimed[0], .waiting(error: ErrorReport(message: "needs re-authorization")))], worker: "w")
            #expect(try await queue.job(id)?.state == .pending)

            // A job left waiting by a race the first guard cannot see is released by the maintenance round.
            try await store.execute(SQL("UPDATE jobs SET state = 'waiting' WHERE id = ?", [.int(id)]))
            #expect(try await queue.releaseStrandedWaits() == 1)
            #expect(try await queue.job(id)?.state == .pending)
            // Jobs of an instance that still needs re-authorization stay waiting.
            try await queue.holdForReauthorization(9)
            #expect(try await queue.job(id)?.state == .waiting)
            #expect(try await queue.releaseStrandedWaits() == 0)

            // One enqueued after the hold (an enqueue racing the job that set it) is never claimed, and
            // the maintenance round shows it waiting too; another instance's job is left alone.
            let late = try await queue.enqueue(NewJob(kind: "zoho", instanceID: 9))
            let other = try await queue.enqueue(NewJob(kind: "zoho", instanceID: 10))
            #expect(try await queue.claim(limit: 10, worker: "w", leaseSeconds: 60).map(\.id) == [other])
            #expect(try await queue.job(late)?.state == .pending)
            #expect(try await queue.parkHeldJobs() == 1)
            #expect(try await queue.job(late)?.state == .waiting)
            try await queue.resumeInstance(9)
            #expect(try await queue.job(late)?.state == .pending)
        }
    }

    @Test(
        "a job that read its instance's old state while it was authorized again retries, and does not park the instance",
        arguments: TestStores.engines
    )
    func staleNeedsReauth(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let stale = Mutex(true)
            let h = Handler(kind: "zoho") { _ in
                // The first run met the revoked token; nobody parked the instance, since it is connected again.
                if stale.withLock({ s in
                    defer { s = false }
                    return s
                }) {
                    throw JobError(.needsReauth, "instance 3 needs re-authorization")
                }
                return nil
            }
            try await withWorkers(store, [h], settings: QueueTests.fast) { queue in
                let first = try await queue.enqueue(NewJob(kind: "zoho", instanceID: 3))
                try await eventually("the stale job ran again") { try await queue.job(first)?.state == .done }
                #expect(try await queue.job(first)?.attempts == 2)
                #expect(try await queue.isHeldForReauthorization(3) == false)
                let later = try await queue.enqueue(NewJob(kind: "zoho", instanceID: 3))
                try await eventually("later jobs of the instance run") { try await queue.job(later)?.state == .done }
            }
        }
    }

    @Test(
        "a hold left on an instance that is connected again is dropped by the maintenance round, releasing its jobs",
        arguments: TestStores.engines
    )
    func staleHoldHealed(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            try await store.execute(
                SQL(
                    "INSERT INTO instances (id, company_id, name, state, refresh_token_enc, created_at, updated_at) VALUES (9, 1, 'Acme', 'needs_reauth', ?, 0, 0)",
                    [.blob([1, 2, 3])]
                )
            )
            let id = try await queue.enqueue(NewJob(kind: "zoho", instanceID: 9))
            try await queue.holdForReauthorization(9)
            #expect(try await queue.releaseStrandedWaits() == 0, "still needs re-authorization: its jobs keep waiting")
            #expect(try await queue.job(id)?.state == .waiting)
            // Authorized again, but a sidecar that decided on the old state parked it once more afterwards.
            try await queue.resumeInstance(9)
            try await store.execute(SQL("UPDATE instances SET state = 'connected' WHERE id = 9"))
            try await queue.holdForReauthorization(9)
            #expect(try await queue.releaseStrandedWaits() == 1)
            #expect(try await queue.job(id)?.state == .pending)
            #expect(try await queue.isHeldForReauthorization(9) == false)
        }
    }

    @Test(
        "parking an instance changes its state in the same transaction, and holds nothing when that change is refused",
        arguments: TestStores.engines
    )
    func parkingWithState(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            try await store.execute(
                SQL("INSERT INTO instances (id, company_id, name, state, created_at, updated_at) VALUES (7, 1, 'Acme', 'connected', 0, 0)")
            )
            let id = try await queue.enqueue(NewJob(kind: "zoho", instanceID: 7))
            // The instance was authorized again meanwhile: the refusal marks nothing and parks nothing.
            #expect(try await queue.holdForReauthorization(7) { _ in false } == false)
            #expect(try await queue.isHeldForReauthorization(7) == false)
            #expect(try await queue.job(id)?.state == .pending)
            #expect(
                try await queue.holdForReauthorization(7) { tx in
                    try await tx.execute(SQL("UPDATE instances SET state = 'needs_reauth' WHERE id = 7")) == 1
                }
            )
            #expect(try await store.scalar(SQL("SELECT state FROM instances WHERE id = 7")).text == "needs_reauth")
            #expect(try await queue.isHeldForReauthorization(7))
            #expect(try await queue.job(id)?.state == .waiting)
        }
    }

    @Test("many jobs pausing or parking one instance at once never conflict", arguments: TestStores.engines)
    func concurrentPauses(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        if i % 2 == 0 {
                            try await queue.holdForReauthorization(5)
                        } else {
                            try await queue.pauseInstance(5, until: Int64(i), reason: "429")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.scalar(SQL("SELECT count(*) FROM instance_pauses")).int == 1)
            try await queue.pauseInstance(6, until: 100, reason: "429")
            try await queue.pauseInstance(6, until: 50, reason: "429")
            #expect(try await store.scalar(SQL("SELECT until_at FROM instance_pauses WHERE instance_id = 6")).int == 100, "the later pause wins")
        }
    }
}

@Suite("Batch enqueue")
struct BatchEnqueueTests {
    @Test("a job naming no max_attempts gets the max_attempts setting as it is at insert time, by every enqueue path", arguments: TestStores.engines)
    func maxAttemptsSetting(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            #expect(try await queue.job(try await queue.enqueue(NewJob(kind: "a")))?.maxAttempts == QueueSettings().maxAttempts)
            var settings = QueueSettings()
            settings.maxAttempts = 9
            try await settings.save(store)
            let single = try await queue.enqueue(NewJob(kind: "a"))
            let batch = try await queue.enqueue((0..<300).map { _ in NewJob(kind: "b") })
            let inTransaction = try await store.transaction { tx in
                try await JobQueue.insert([NewJob(kind: "c"), NewJob(kind: "d", maxAttempts: 2)], tx)
            }
            for id in [single, batch[0], batch[299], inTransaction[0]] {
                #expect(try await queue.job(id)?.maxAttempts == 9)
            }
            #expect(try await queue.job(inTransaction[1])?.maxAttempts == 2, "an explicit max_attempts wins")
        }
    }

    @Test("a batch's ids come back in input order, with every field stored", arguments: TestStores.engines)
    func order(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            let jobs = (0..<1200).map {
                NewJob(kind: "k\($0 % 3)", payload: ["n": .int(Int64($0))], companyID: 2, instanceID: $0 % 2 == 0 ? 9 : nil, priority: $0 % 5)
            }
            let ids = try await queue.enqueue(jobs)
            #expect(ids.count == 1200)
            for (i, id) in ids.enumerated() where i % 97 == 0 {
                let row = try #require(
                    try await store.query(SQL("SELECT kind, payload, company_id, instance_id, priority, state FROM jobs WHERE id = ?", [.int(id)]))
                        .first
                )
                #expect(row["payload"].text == "{\"n\":\(i)}")
                #expect(row["kind"].text == "k\(i % 3)")
                #expect(row["instance_id"] == (i % 2 == 0 ? .int(9) : .null))
                #expect(row["priority"].int == Int64(i % 5))
                #expect(row["company_id"].int == 2)
                #expect(row["state"].text == "pending")
            }
        }
    }

    @Test("jobs committed through another sidecar on the same PostgreSQL wake an idle worker at once, not at its next poll")
    func wakesOtherSidecars() async throws {
        guard TestStores.engines.contains(.postgres) else { return }
        try await TestStores.withStore(.postgres) { store in
            let ran = Counter()
            let h = Handler(kind: "echo") { ctx in
                ran.add(ctx.job.id)
                return nil
            }
            let pool = WorkerPool(
                queue: JobQueue(store: store),
                handlers: HandlerRegistry([h]),
                settings: QueueTests.fast,
                options: .init(maintenanceInterval: .seconds(120), idlePoll: .seconds(120))
            )
            let running = Task { await pool.run() }
            try await Task.sleep(for: .milliseconds(300))  // idle and listening
            // Another sidecar's queue: its own wake signal, so only the database can carry the news.
            let other = JobQueue(store: store)
            let one = try await other.enqueue(NewJob(kind: "echo"))
            try await eventually("the first job ran", timeout: .seconds(5)) { ran.count == 1 }
            let batch = try await other.enqueue([NewJob(kind: "echo"), NewJob(kind: "echo")])
            try await eventually("the batch ran", timeout: .seconds(5)) { ran.count == 3 }
            #expect(Set(ran.all) == Set([one] + batch))
            await pool.stop(grace: .seconds(1))
            await running.value
        }
    }
}
