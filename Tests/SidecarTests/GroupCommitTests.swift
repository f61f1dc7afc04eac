import Core
import Foundation
import Queue
import Store
import Synchronization
import Testing

@testable import Webhooks

/// The gateway's group commit, seen from the store: deliveries that arrive while a commit is under way
/// wait and share the next one, so one flush serves many requests.
@Suite("Webhook group commit")
struct GroupCommitTests {
    static func delivery(_ n: Int) -> AuditEntry {
        AuditEntry(
            instanceID: 1,
            companyID: 1,
            app: "crm",
            object: "Contacts",
            receivedAt: Clock.now(),
            bodySHA256: "sha\(n)",
            dedupKey: "key\(n)",
            size: 10,
            verdict: .accepted,
            jobs: [NewJob(kind: "test.pull", payload: ["n": .int(Int64(n))], instanceID: 1)]
        )
    }

    @Test(
        "deliveries that arrive during a commit share the next ones, at most 256 a commit; PostgreSQL adds a writer only for a full batch",
        arguments: TestStores.engines
    )
    func deliveriesShareCommits(engine: Engine) async throws {
        try await TestStores.withStore(engine) { base in
            let store = HeldStore(base)
            let writer = EventWriter(queue: JobQueue(store: store), dedupWindowSeconds: 3600)
            try await withThrowingTaskGroup(of: WriteOutcome.self) { group in
                group.addTask { try await writer.write(Self.delivery(0)) }
                try await eventually("the first delivery's commit has started") { store.inFlight == 1 }

                for n in 1...99 { group.addTask { try await writer.write(Self.delivery(n)) } }
                try await eventually("99 deliveries wait for the commit under way") { writer.waiting == 99 }
                #expect(store.inFlight == 1, "less than a full batch waits: no second writer")

                for n in 100...301 { group.addTask { try await writer.write(Self.delivery(n)) } }
                if engine == .postgres {
                    try await eventually("a second writer took a full batch of 256, 45 wait") { store.inFlight == 2 && writer.waiting == 45 }
                } else {
                    try await eventually("all 301 wait for SQLite's one writer") { writer.waiting == 301 }
                    #expect(store.inFlight == 1)
                }

                store.release()
                var jobs = Set<Int64>()
                for try await outcome in group {
                    guard case .accepted(let ids) = outcome else {
                        Issue.record("not accepted: \(outcome)")
                        continue
                    }
                    jobs.formUnion(ids)
                }
                #expect(jobs.count == 302, "every delivery has a job of its own")
            }
            #expect(store.commits == 3, "1, then 256, then 45 deliveries a commit")
            #expect(store.maxInFlight == (engine == .postgres ? 2 : 1))
            #expect(try await base.scalar(SQL("SELECT count(*) FROM jobs")).int == 302)
            #expect(try await base.scalar(SQL("SELECT count(*) FROM webhook_events WHERE verdict = 'accepted'")).int == 302)
        }
    }
}

/// A store that holds every commit until `release()`, and counts them: the webhook writer commits with
/// a transaction on SQLite and with one prepared statement on PostgreSQL.
final class HeldStore: Store {
    private struct State {
        var held = true
        var waiting: [CheckedContinuation<Void, Never>] = []
        var inFlight = 0
        var maxInFlight = 0
        var commits = 0
    }

    let base: any Store
    private let state = Mutex(State())

    init(_ base: any Store) { self.base = base }

    var inFlight: Int { state.withLock { $0.inFlight } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }
    var commits: Int { state.withLock { $0.commits } }

    func release() {
        let waiting = state.withLock { s in
            s.held = false
            defer { s.waiting = [] }
            return s.waiting
        }
        for w in waiting { w.resume() }
    }

    private func committing<T>(_ body: () async throws -> T) async throws -> T {
        state.withLock { s in
            s.inFlight += 1
            s.maxInFlight = max(s.maxInFlight, s.inFlight)
        }
        await withCheckedContinuation { c in
            state.withLock { s in s.held ? s.waiting.append(c) : c.resume() }
        }
        defer {
            state.withLock { s in
                s.inFlight -= 1
                s.commits += 1
            }
        }
        return try await body()
    }

    var engine: Engine { base.engine }
    var location: String { base.location }
    func query(_ sql: SQL) async throws -> [Row] { try await base.query(sql) }
    func execute(_ sql: SQL) async throws -> Int { try await base.execute(sql) }
    func write(_ sql: SQL, durability: Durability) async throws -> [Row] { try await base.write(sql, durability: durability) }
    func write<Statement: PreparedSQL>(_ statement: Statement) async throws -> [Row] {
        try await committing { try await base.write(statement) }
    }
    func transaction<T: Sendable>(durability: Durability, _ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await committing { try await base.transaction(durability: durability, body) }
    }
    func snapshot<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await base.snapshot(body)
    }
    func close() async { await base.close() }
}
