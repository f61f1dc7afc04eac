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
    let signal: WakeSignal
    let dedupWindow: Micros
    /// Transactions in flight at once: SQLite has one writer; PostgreSQL gains from a few.
    let maxWriters: Int
    /// Beyond this many waiting deliveries the gateway answers 503 instead of queueing more in memory.
    let maxPending: Int
    static let batchLimit = 256
    private let state = Mutex(State())

    init(store: any Store, signal: WakeSignal, dedupWindowSeconds: Double, maxPending: Int = 20_000) {
        self.store = store
        self.signal = signal
        self.dedupWindow = Int64(dedupWindowSeconds * 1e6)
        self.maxWriters = store.engine == .postgres ? 4 : 1
        self.maxPending = maxPending
    }

    /// Writes the entry (and its jobs) and returns once they are committed.
    func write(_ entry: AuditEntry) async throws -> WriteOutcome {
        try await withCheckedThrowingContinuation { reply in
            submit(Waiting(entry: entry, reply: reply))
        }
    }

    private func submit(_ waiting: Waiting) {
        let start = state.withLock { s -> Bool? in
            guard s.pending.count < maxPending else { return nil }
            s.pending.append(waiting)
            guard s.writers < maxWriters else { return false }
            s.writers += 1
            return true
        }
        switch start {
        case nil: waiting.reply.resume(throwing: Overloaded())
        case true?: Task { await drain() }
        case false?: break
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { s -> [Waiting] in
                let n = min(s.pending.count, Self.batchLimit)
                if n == 0 { s.writers -= 1; return [] }
                defer { s.pending.removeFirst(n) }
                return Array(s.pending.prefix(n))
            }
            if batch.isEmpty { return }
            do {
                let outcomes = try await store.transaction { tx in try await Self.flush(batch.map(\.entry), window: self.dedupWindow, tx) }
                if outcomes.contains(where: { if case .accepted = $0 { true } else { false } }) { signal.fire() }
                for (w, outcome) in zip(batch, outcomes) { w.reply.resume(returning: outcome) }
            } catch {
                for w in batch { w.reply.resume(throwing: error) }
            }
        }
    }

    /// One transaction for a batch: claim the dedup keys, insert the jobs of the deliveries that won
    /// them, and write every audit row. Rows go in sorted key order so concurrent transactions on
    /// PostgreSQL take their locks in the same order and cannot deadlock.
    static func flush(_ entries: [AuditEntry], window: Micros, _ tx: any SQLExecutor) async throws -> [WriteOutcome] {
        let now = Clock.now()
        var outcomes = Array(repeating: WriteOutcome.recorded, count: entries.count)
        var candidates: [Int] = []
        var seen = Set<String>()
        for (i, e) in entries.enumerated() where e.verdict == .accepted {
            if let key = e.dedupKey, !seen.insert("\(e.instanceID)|\(key)").inserted {
                outcomes[i] = .duplicate  // the same delivery twice in one batch
            } else {
                candidates.append(i)
            }
        }
        let keyed = candidates.filter { entries[$0].dedupKey != nil }
            .sorted { (entries[$0].instanceID, entries[$0].dedupKey!) < (entries[$1].instanceID, entries[$1].dedupKey!) }
        var won = Set<String>()
        if !keyed.isEmpty {
            // A live row means a duplicate; an expired one is taken over.
            let sql = SQL("INSERT INTO webhook_dedup (instance_id, dedup_key, expires_at) VALUES ")
                + .joined(keyed.map { SQL("(?, ?, ?)", [.int(entries[$0].instanceID), .text(entries[$0].dedupKey!), .int(now + window)]) }, separator: ", ")
                + SQL(" ON CONFLICT (instance_id, dedup_key) DO UPDATE SET expires_at = excluded.expires_at WHERE webhook_dedup.expires_at < ? RETURNING instance_id, dedup_key", [.int(now)])
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
            return SQL("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                .int(e.companyID), .int(e.instanceID), .text(e.app), .text(e.object), .int(e.receivedAt), .text(e.bodySHA256),
                SQLValue(e.dedupKey), .int(Int64(e.size)), .text(verdict.rawValue), jobID, e.detail.map { .text(Secrets.redact($0)) } ?? .null,
            ])
        }
        try await tx.execute(SQL("INSERT INTO webhook_events (company_id, instance_id, app, object, received_at, body_sha256, dedup_key, size, verdict, job_id, detail) VALUES ")
                             + .joined(rows, separator: ", "))
        return outcomes
    }
}
