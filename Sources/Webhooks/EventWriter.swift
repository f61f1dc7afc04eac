import Core
import Foundation
import Queue
import Store
import Sync
import Synchronization

/// The verdicts of the audit log.
public enum Verdict: String, Sendable, CaseIterable {
    case accepted, duplicate, unauthorized, rejected, limited
}

/// One audit-log row, and for an accepted delivery the jobs it starts.
struct AuditEntry: Sendable {
    var instanceID: Int64
    var companyID: Int64
    var app: String
    var object: String
    var receivedAt: Micros
    var bodySHA256: String
    var dedupKey: String?
    var size: Int
    var verdict: Verdict
    var detail: String?
    var jobs: [NewJob] = []
    /// The field change times the delivery reports, kept with its jobs.
    var fieldChanges: [FieldChange] = []
}

enum WriteOutcome: Sendable, Equatable {
    case accepted(jobs: [Int64])
    case duplicate
    case recorded
}

/// The store is behind: too many deliveries wait for a commit. The sender should come back later.
struct Overloaded: Error {}

/// Group commit: deliveries that arrive while a transaction is being written wait for the next one
/// and share it, so one fsync (SQLite) or one commit round trip (PostgreSQL) serves many requests.
/// Nothing is acknowledged before the transaction that holds it has committed.
final class EventWriter: Sendable {
    struct Waiting {
        var entry: AuditEntry
        var reply: CheckedContinuation<WriteOutcome, any Error>
    }

    struct State {
        var pending: [Waiting] = []
        var writers = 0
    }

    let store: any Store
    let queue: JobQueue
    let dedupWindow: Micros
    /// Transactions in flight at once: SQLite has one writer. PostgreSQL can run a few, but a second
    /// one starts only when a full batch is waiting. Under a steady load one writer's batches grow with
    /// the rate, and much of a statement's cost does not depend on how many deliveries it holds: at
    /// ~2,600-3,000/s, PostgreSQL spent 255 us per delivery with four writers and 140 us with one, and
    /// p99 went from 11-18 ms to 7-8 ms.
    let maxWriters: Int
    /// A writer commits at most this often. SQLite's WAL takes every page a commit changed, whole: a
    /// batch changes ~15 pages of 4 KiB, most of them the same tail pages every time, so a stream of
    /// small commits is a stream of rewrites. Measured at ~3,000 deliveries/s: back-to-back commits
    /// wrote 70-87 MB/s and p99 was 8-70 ms as the disk stalled; commits 2 ms apart gather twice the
    /// deliveries each, 54-57 MB/s, p99 6-9 ms, p50 +0.5 ms. PostgreSQL's WAL holds row changes (a
    /// whole page only at its first change after a checkpoint): 8-11 MB/s, and no gain there.
    let commitInterval: Duration
    /// Beyond this many waiting deliveries the gateway answers 503 instead of queueing more in memory.
    let maxPending: Int
    static let batchLimit = 256
    private let state = Mutex(State())

    init(queue: JobQueue, dedupWindowSeconds: Double, maxPending: Int = 20_000) {
        self.store = queue.store
        self.queue = queue
        self.dedupWindow = Int64(dedupWindowSeconds * 1e6)
        self.maxWriters = store.engine == .postgres ? 4 : 1
        self.commitInterval = store.engine == .sqlite ? .milliseconds(2) : .zero
        self.maxPending = maxPending
    }

    /// Deliveries waiting for a writer to take them into a commit.
    var waiting: Int { state.withLock { $0.pending.count } }

    /// Writes the entry (and its jobs) and returns once they are committed.
    func write(_ entry: AuditEntry) async throws -> WriteOutcome {
        try await withCheckedThrowingContinuation { reply in
            submit(Waiting(entry: entry, reply: reply))
        }
    }

    private enum Start {
        case refused, none
        /// A writer, with the batch it commits first (none: it gathers its own).
        case writer([Waiting])
    }

    private func submit(_ waiting: Waiting) {
        let start = state.withLock { s -> Start in
            guard s.pending.count < maxPending else { return .refused }
            s.pending.append(waiting)
            if s.writers == 0 {
                s.writers = 1
                return .writer([])
            }
            // Another writer only for a full batch, handed over now: left waiting, the same deliveries
            // would start a writer for each that arrives before the new one takes them.
            guard s.writers < maxWriters, s.pending.count >= Self.batchLimit else { return .none }
            s.writers += 1
            defer { s.pending.removeFirst(Self.batchLimit) }
            return .writer(Array(s.pending.prefix(Self.batchLimit)))
        }
        switch start {
        case .refused: waiting.reply.resume(throwing: Overloaded())
        case .none: break
        case .writer(let batch): Task { await drain(first: batch) }
        }
    }

    private func drain(first: [Waiting]) async {
        var batch = first
        var lastCommit = ContinuousClock.now - commitInterval
        while true {
            if batch.isEmpty {
                let wait = lastCommit + commitInterval - ContinuousClock.now
                if wait > .zero { try? await Task.sleep(for: wait) }
                batch = state.withLock { s -> [Waiting] in
                    let n = min(s.pending.count, Self.batchLimit)
                    if n == 0 {
                        s.writers -= 1
                        return []
                    }
                    defer { s.pending.removeFirst(n) }
                    return Array(s.pending.prefix(n))
                }
                if batch.isEmpty { return }
            }
            lastCommit = ContinuousClock.now
            do {
                let outcomes = try await Self.flush(batch.map(\.entry), window: dedupWindow, store)
                if outcomes.contains(where: { if case .accepted = $0 { true } else { false } }) { queue.announce() }
                for (w, outcome) in zip(batch, outcomes) { w.reply.resume(returning: outcome) }
            } catch {
                for w in batch { w.reply.resume(throwing: error) }
            }
            batch = []
        }
    }

    /// Writes a batch in one transaction: claims the dedup keys, inserts the jobs of the deliveries that
    /// won them, records their field changes, and writes every audit row.
    static func flush(_ entries: [AuditEntry], window: Micros, _ store: any Store) async throws -> [WriteOutcome] {
        let batch = markingRepeats(entries)
        let now = Clock.now()
        if store.engine == .postgres { return try await flushInOneStatement(batch, now: now, window: window, store) }
        return try await store.transaction { tx in try await flush(batch, now: now, window: window, tx) }
    }

    /// The same delivery twice in one batch: the first counts, the others are duplicates.
    static func markingRepeats(_ entries: [AuditEntry]) -> [AuditEntry] {
        var entries = entries
        var seen = Set<String>()
        for i in entries.indices where entries[i].verdict == .accepted {
            if let key = entries[i].dedupKey, !seen.insert("\(entries[i].instanceID)|\(key)").inserted { entries[i].verdict = .duplicate }
        }
        return entries
    }

    /// PostgreSQL: the batch as one prepared statement, which is its own transaction. A transaction of
    /// separate statements takes six round trips (BEGIN, dedup, jobs, field changes, audit, COMMIT),
    /// and an unprepared statement as long as this one costs more to plan than to run.
    static func flushInOneStatement(_ entries: [AuditEntry], now: Micros, window: Micros, _ store: any Store) async throws -> [WriteOutcome] {
        var outcomes = entries.map { e -> WriteOutcome in e.verdict == .accepted || e.verdict == .duplicate ? .duplicate : .recorded }
        var accepted: [Int: [Int64]] = [:]
        for row in try await store.write(Flush(entries, now: now, window: window)) {
            guard let o = row["o"].int.map(Int.init) else { continue }
            accepted[o, default: []] += row["id"].int.map { [$0] } ?? []
        }
        for (o, ids) in accepted { outcomes[o] = .accepted(jobs: ids) }
        return outcomes
    }

    /// The batch's audit rows and field changes go in as one JSON parameter each (their columns may be
    /// null), its jobs as array parameters. Job ids are drawn inside the statement so the audit rows
    /// can name them. Returns the position of each delivery that won its dedup key (or had none), with
    /// its job ids.
    struct Flush: PreparedSQL {
        static let text = sql([], now: 0, window: 0).text
        let binds: [SQLValue]

        init(_ entries: [AuditEntry], now: Micros, window: Micros) {
            binds = Self.sql(entries, now: now, window: window).binds
        }

        /// The same text whatever the entries: nothing in it depends on them but the binds.
        static func sql(_ entries: [AuditEntry], now: Micros, window: Micros) -> SQL {
            let events: [JSONValue] = entries.enumerated().map { o, e in
                .object([
                    "o": .int(Int64(o)), "c": .int(e.companyID), "i": .int(e.instanceID), "a": .string(e.app), "ob": .string(e.object),
                    "r": .int(e.receivedAt),
                    "h": .string(e.bodySHA256), "k": e.dedupKey.map(JSONValue.string) ?? .null, "s": .int(Int64(e.size)),
                    "v": .string(e.verdict.rawValue),
                    "d": e.detail.map { .string(Secrets.redact($0)) } ?? .null,
                ])
            }
            let jobs = entries.indices.flatMap { o in entries[o].jobs.map { (owner: Int64(o), job: $0) } }
            let changes = entries.indices.flatMap { o in entries[o].fieldChanges.map { (owner: o, change: $0) } }
            // A live dedup row means a duplicate; an expired one is taken over. Keys go in sorted order so
            // concurrent statements take their locks in the same order and cannot deadlock.
            return SQL(
                """
                WITH e AS (SELECT * FROM json_to_recordset(?::json) AS e(o bigint, c bigint, i bigint, a text, ob text, r bigint, h text, k text, s bigint, v text, d text)),
                won AS (
                    INSERT INTO webhook_dedup (instance_id, dedup_key, expires_at)
                    SELECT i, k, ? FROM e WHERE v = 'accepted' AND k IS NOT NULL ORDER BY i, k
                    ON CONFLICT (instance_id, dedup_key) DO UPDATE SET expires_at = excluded.expires_at WHERE webhook_dedup.expires_at < ?
                    RETURNING instance_id, dedup_key),
                taken AS (SELECT o FROM e WHERE v = 'accepted' AND (k IS NULL OR (i, k) IN (SELECT instance_id, dedup_key FROM won))),
                j AS (SELECT \(JobQueue.nextID) AS id, t.* FROM
                """,
                [.text(JSONValue.array(events).serialized()), .int(now + window), .int(now)]
            )
                + SQL(" ") + JobQueue.relation(jobs.map(\.job), owners: jobs.map(\.owner), now: now) + SQL(" WHERE t.o IN (SELECT o FROM taken)),")
                + SQL(" jobs_in AS (") + JobQueue.insert(selecting: SQL("j"), now: now, withIDs: true) + SQL("),")
                + SQL(" changes_in AS (") + FieldClock.upsert(changes, keptIn: "taken") + SQL("),")
                + SQL(
                    """
                     audit AS (
                        INSERT INTO webhook_events (company_id, instance_id, app, object, received_at, body_sha256, dedup_key, size, verdict, job_id, detail)
                        SELECT c, i, a, ob, r, h, k, s, CASE WHEN v = 'accepted' AND o NOT IN (SELECT o FROM taken) THEN 'duplicate' ELSE v END,
                               (SELECT min(id) FROM j WHERE j.o = e.o), d
                        FROM e ORDER BY o)
                    SELECT taken.o, j.id FROM taken LEFT JOIN j ON j.o = taken.o ORDER BY taken.o, j.n
                    """
                )
        }
    }

    /// SQLite: the same as one transaction of separate statements, which cost no round trips there.
    static func flush(_ entries: [AuditEntry], now: Micros, window: Micros, _ tx: any SQLExecutor) async throws -> [WriteOutcome] {
        var outcomes = entries.map { e -> WriteOutcome in e.verdict == .duplicate ? .duplicate : .recorded }
        let candidates = entries.indices.filter { entries[$0].verdict == .accepted }
        let keyed = candidates.filter { entries[$0].dedupKey != nil }
            .sorted { (entries[$0].instanceID, entries[$0].dedupKey!) < (entries[$1].instanceID, entries[$1].dedupKey!) }
        var won = Set<String>()
        if !keyed.isEmpty {
            let sql =
                SQL("INSERT INTO webhook_dedup (instance_id, dedup_key, expires_at) VALUES ")
                + .joined(
                    keyed.map { SQL("(?, ?, ?)", [.int(entries[$0].instanceID), .text(entries[$0].dedupKey!), .int(now + window)]) },
                    separator: ", "
                )
                + SQL(
                    " ON CONFLICT (instance_id, dedup_key) DO UPDATE SET expires_at = excluded.expires_at WHERE webhook_dedup.expires_at < ? RETURNING instance_id, dedup_key",
                    [.int(now)]
                )
            for row in try await tx.query(sql) {
                won.insert("\(row["instance_id"].int ?? 0)|\(row["dedup_key"].text ?? "")")
            }
        }
        var jobs: [NewJob] = []
        var owners: [(index: Int, count: Int)] = []
        for i in candidates {
            let e = entries[i]
            if let key = e.dedupKey, !won.contains("\(e.instanceID)|\(key)") {
                outcomes[i] = .duplicate
                continue
            }
            jobs += e.jobs
            owners.append((i, e.jobs.count))
        }
        let ids = try await JobQueue.insert(jobs, tx)
        try await FieldClock.record(owners.flatMap { entries[$0.index].fieldChanges }, tx)
        var offset = 0
        for (i, count) in owners {
            outcomes[i] = .accepted(jobs: Array(ids[offset..<offset + count]))
            offset += count
        }
        let rows = entries.indices.map { i -> SQL in
            let e = entries[i]
            var verdict = e.verdict
            var jobID: SQLValue = .null
            switch outcomes[i] {
            case .duplicate: verdict = .duplicate
            case .accepted(let ids): jobID = ids.first.map { .int($0) } ?? .null
            case .recorded: break
            }
            return SQL(
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .int(e.companyID), .int(e.instanceID), .text(e.app), .text(e.object), .int(e.receivedAt), .text(e.bodySHA256),
                    SQLValue(e.dedupKey), .int(Int64(e.size)), .text(verdict.rawValue), jobID, e.detail.map { .text(Secrets.redact($0)) } ?? .null,
                ]
            )
        }
        try await tx.execute(
            SQL(
                "INSERT INTO webhook_events (company_id, instance_id, app, object, received_at, body_sha256, dedup_key, size, verdict, job_id, detail) VALUES "
            )
                + .joined(rows, separator: ", ")
        )
        return outcomes
    }
}
