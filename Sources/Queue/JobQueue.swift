import Core
import Foundation
import Store

/// The queue's client and driver: enqueue, claim, complete, rescue and the operator's actions, as
/// SQL that runs unchanged on both engines except for row locking (`SKIP LOCKED` on PostgreSQL).
public struct JobQueue: Sendable {
    public let store: any Store
    /// Wakes workers of this process at once; `announce()` also wakes those of other processes.
    public let signal: WakeSignal
    private let announcer: Announcer?
    public static let notifyChannel = Migrator.jobsChannel

    public init(store: any Store, signal: WakeSignal = WakeSignal()) {
        self.store = store
        self.signal = signal
        // SQLite: other processes see a new data_version (see WorkerPool.idle).
        self.announcer = store.engine == .postgres ? Announcer(store: store) : nil
    }

    /// Jobs became claimable (committed, or back to pending): wakes idle workers here and, on
    /// PostgreSQL, in every sidecar on the database.
    public func announce() {
        signal.fire()
        announcer?.announce()
    }

    // MARK: enqueue

    /// Enqueues one job; with an identity key that an active job already holds, returns that job's id.
    @discardableResult
    public func enqueue(_ job: NewJob) async throws -> Int64 {
        try await enqueue([job])[0]
    }

    /// Enqueues many jobs in one transaction (chunked multi-row inserts); ids in input order.
    public func enqueue(_ jobs: [NewJob]) async throws -> [Int64] {
        guard !jobs.isEmpty else { return [] }
        let ids: [Int64]
        if jobs.count == 1, jobs[0].identityKey == nil {
            // The common case in one statement and one round trip.
            if store.engine == .postgres {
                ids = try await store.write(NotifyingInsert(job: jobs[0], now: Clock.now())).compactMap { $0["id"].int }
                signal.fire()
                return ids
            }
            let insert = Self.insertSQL(jobs[...], now: Clock.now(), engine: store.engine) + SQL(" RETURNING id")
            ids = try await store.write(insert).compactMap { $0["id"].int }
        } else {
            ids = try await store.transaction { tx in try await Self.insert(jobs, tx) }
        }
        announce()
        return ids
    }

    /// One job on PostgreSQL, prepared once per connection, whose commit also wakes other processes'
    /// workers, as pgqueuer's trigger does: no second statement after the commit. A notifying commit
    /// holds a lock until it is on disk, so concurrent notifying commits wait for each other's
    /// flushes; single enqueues rarely meet, while the webhook gateway's group commits, which do,
    /// announce after their commit instead (`Announcer`).
    struct NotifyingInsert: PreparedSQL {
        static let text = """
            WITH inserted AS (\(JobQueue.insertSQL([NewJob(kind: "")][...], now: 0, engine: .postgres).text) RETURNING id), \
            woken AS (SELECT pg_notify(?, '')) SELECT id FROM inserted, woken
            """
        let binds: [SQLValue]

        init(job: NewJob, now: Micros) {
            binds = JobQueue.insertSQL([job][...], now: now, engine: .postgres).binds + [.text(JobQueue.notifyChannel)]
        }
    }

    /// Inserts inside the caller's transaction (the webhook gateway commits event and job together).
    public static func insert(_ jobs: [NewJob], _ tx: any SQLExecutor) async throws -> [Int64] {
        let now = Clock.now()
        var ids: [Int64] = []
        ids.reserveCapacity(jobs.count)
        let keyed = jobs.contains { $0.identityKey != nil }
        if !keyed, jobs.count > 1, tx.engine == .postgres {
            return try await tx.query(unnestInsertSQL(jobs, now: now)).compactMap { $0["id"].int }
        }
        // Jobs with identity keys go one by one: each may resolve to an existing job. Others go in
        // multi-row inserts as large as PostgreSQL's 65,535 parameters allow.
        let chunk = keyed ? 1 : 5000
        var index = 0
        while index < jobs.count {
            let slice = jobs[index..<min(index + chunk, jobs.count)]
            var sql = insertSQL(slice, now: now, engine: tx.engine)
            if let key = slice.first?.identityKey, keyed {
                // The partial unique index decides: no read-then-insert race between sidecars.
                sql.append(
                    " ON CONFLICT (identity_key) WHERE identity_key IS NOT NULL AND state IN ('pending', 'running', 'waiting') DO NOTHING RETURNING id"
                )
                if let id = try await tx.query(sql).first?["id"].int {
                    ids.append(id)
                } else {
                    let existing = try await tx.scalar(
                        SQL("SELECT id FROM jobs WHERE identity_key = ? AND state IN ('pending', 'running', 'waiting')", [.text(key)])
                    )
                    guard let id = existing.int else { throw StoreError(.constraint, "identity key \(key) conflicted but no active job holds it") }
                    ids.append(id)
                }
            } else {
                sql.append(" RETURNING id")
                ids += try await tx.query(sql).compactMap { $0["id"].int }
            }
            index += chunk
        }
        return ids
    }

    /// A job that names no max_attempts gets the queue setting as it is at insert time, so every
    /// enqueuer (RPC, the gateway, schedules) follows an operator's change at once.
    static func settingMaxAttempts(_ engine: Engine) -> String {
        let extract = engine == .postgres ? "(value::jsonb ->> 'max_attempts')::bigint" : "CAST(json_extract(value, '$.max_attempts') AS INTEGER)"
        return "(SELECT \(extract) FROM settings WHERE key = '\(QueueSettings.key)')"
    }

    /// PostgreSQL: a whole batch in one statement (rows come back in order).
    static func unnestInsertSQL(_ jobs: [NewJob], now: Micros) -> SQL {
        insert(selecting: relation(jobs, now: now), now: now, withIDs: false) + SQL(" RETURNING id")
    }

    /// PostgreSQL: inserts the jobs of `source`, a relation such as `relation(_:owners:now:)` gives, and
    /// `id` when the caller draws the ids itself (with `nextID`) to refer to the jobs in the same statement.
    public static func insert(selecting source: SQL, now: Micros, withIDs: Bool) -> SQL {
        SQL(
            """
            INSERT INTO jobs (\(withIDs ? "id, " : "")company_id, instance_id, kind, payload, priority, eta, state, attempts, max_attempts, created_at, updated_at)
            SELECT \(withIDs ? "id, " : "")c, NULLIF(i, 0), k, p, pr, e, 'pending', 0, coalesce(NULLIF(m, 0), \(settingMaxAttempts(.postgres)), \(QueueSettings().maxAttempts)), ?, ?
            FROM
            """,
            [.int(now), .int(now)]
        ) + SQL(" ") + source
    }

    /// PostgreSQL: the next job id, for `insert(selecting:now:withIDs:)`.
    public static let nextID = "nextval(pg_get_serial_sequence('jobs', 'id')::regclass)"

    /// PostgreSQL: `jobs` as a relation `t` of array parameters expanded by `unnest`: c (company),
    /// i (instance, 0 for none), k (kind), p (payload), pr (priority), e (eta), m (max_attempts, 0 for
    /// the setting); with `owners`, also o (each job's owner) and n (its position). Jobs without
    /// identity keys only: each becomes a new job.
    public static func relation(_ jobs: [NewJob], owners: [Int64]? = nil, now: Micros) -> SQL {
        assert(!jobs.contains { $0.identityKey != nil }, "a job with an identity key may resolve to an existing one: use insert(_:_:)")
        let columns: [SQLValue] = [
            .intArray(jobs.map(\.companyID)), .intArray(jobs.map { $0.instanceID ?? 0 }), .textArray(jobs.map(\.kind)),
            .textArray(jobs.map { $0.payload.serialized() }), .intArray(jobs.map { Int64($0.priority) }),
            .intArray(jobs.map { $0.eta ?? now }), .intArray(jobs.map { Int64($0.maxAttempts ?? 0) }),
        ]
        guard let owners else {
            return SQL(
                "unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[]) AS t(c, i, k, p, pr, e, m)",
                columns
            )
        }
        return SQL(
            "unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) WITH ORDINALITY AS t(c, i, k, p, pr, e, m, o, n)",
            columns + [.intArray(owners)]
        )
    }

    /// One job as VALUES; several as a SELECT over VALUES joined to the setting once: SQLite plans a
    /// scalar subquery per VALUES row, and thousands of them make one statement take quadratic time.
    static func insertSQL(_ jobs: ArraySlice<NewJob>, now: Micros, engine: Engine) -> SQL {
        let columns =
            "INSERT INTO jobs (company_id, instance_id, kind, payload, priority, eta, state, attempts, max_attempts, identity_key, created_at, updated_at) "
        func row(_ j: NewJob, _ maxAttempts: String) -> SQL {
            SQL(
                "(?, ?, ?, ?, ?, ?, 'pending', 0, \(maxAttempts), ?, ?, ?)",
                [
                    .int(j.companyID), SQLValue(j.instanceID), .text(j.kind), .text(j.payload.serialized()), .int(Int64(j.priority)),
                    .int(j.eta ?? now), j.maxAttempts.map { .int(Int64($0)) } ?? .null, SQLValue(j.identityKey), .int(now), .int(now),
                ]
            )
        }
        let fallback = "\(settingMaxAttempts(engine)), \(QueueSettings().maxAttempts)"
        if jobs.count == 1, let j = jobs.first { return SQL(columns + "VALUES ") + row(j, "coalesce(?, \(fallback))") }
        // In VALUES the 9th column is the job's own max_attempts (a typed NULL keeps PostgreSQL's inference happy).
        let maxAttempts = engine == .postgres ? "CAST(? AS bigint)" : "?"
        return SQL(
            columns
                + "SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, coalesce(v.column9, s.m, \(QueueSettings().maxAttempts)), v.column10, v.column11, v.column12 FROM (VALUES "
        )
            + .joined(jobs.map { row($0, maxAttempts) }, separator: ", ")
            + SQL(") AS v CROSS JOIN (SELECT \(settingMaxAttempts(engine)) AS m) AS s")
    }

    // MARK: claim and finish

    /// Moves up to `limit` due jobs to running for `worker`, counting an attempt and setting a lease.
    /// Jobs of paused instances (throttled by Zoho, or waiting for re-authorization) are skipped.
    /// SQLite is told to walk the partial index in claim order; left alone it may pick the (state)
    /// index and sort every pending job on each claim.
    public func claim(limit: Int, worker: String, leaseSeconds: Double) async throws -> [Job] {
        let now = Clock.now()
        let postgres = store.engine == .postgres
        // The claim does not wait for the disk: a claim lost with the machine is a job that runs again.
        // PostgreSQL says so inside the statement, one round trip where a relaxed transaction takes three.
        let sql = SQL(
            """
            \(postgres ? "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)) " : "")UPDATE jobs
            SET state = 'running', attempts = attempts + 1, worker = ?, lease_until = ?, started_at = ?, updated_at = ?\(postgres ? " FROM relaxed" : "")
            WHERE id IN (
                SELECT id FROM jobs\(postgres ? "" : " INDEXED BY jobs_claim")
                WHERE state = 'pending' AND eta <= ?
                  AND (instance_id IS NULL OR instance_id NOT IN (SELECT instance_id FROM instance_pauses WHERE until_at > ?))
                ORDER BY priority, eta, id
                LIMIT ?\(store.dialect.skipLocked))
            RETURNING \(Job.columns)
            """,
            [.text(worker), .int(now + Int64(leaseSeconds * 1e6)), .int(now), .int(now), .int(now), .int(now), .int(Int64(limit))]
        )
        return try await store.write(sql, durability: postgres ? .full : .relaxed).map(Job.init(row:)).sorted {
            ($0.priority, $0.eta, $0.id) < ($1.priority, $1.eta, $1.id)
        }
    }

    /// Records the outcomes of jobs run by `worker`, in one transaction (group commit). A job whose
    /// lease was lost meanwhile (rescued, maybe re-run elsewhere) is left alone: its row no longer matches.
    public func finish(_ outcomes: [(job: Job, outcome: Outcome)], worker: String) async throws {
        guard !outcomes.isEmpty else { return }
        let now = Clock.now()
        // Not waiting for the disk either: an outcome lost with the machine is a job that runs again, as
        // after any crash mid-job (jobs run at least once).
        try await store.transaction(durability: .relaxed) { tx in
            let plainDone = outcomes.filter {
                if case .done(nil) = $0.outcome { return true }
                return false
            }.map { SQLValue.int($0.job.id) }
            if !plainDone.isEmpty {
                try await tx.execute(
                    SQL(
                        "UPDATE jobs SET state = 'done', done_at = ?, updated_at = ?, lease_until = NULL, last_error = NULL, error_chain = NULL WHERE state = 'running' AND worker = ? AND id IN (",
                        [.int(now), .int(now), .text(worker)]
                    ) + .list(plainDone) + SQL(")")
                )
            }
            for (job, outcome) in outcomes {
                let guardClause = SQL(" WHERE id = ? AND state = 'running' AND worker = ?", [.int(job.id), .text(worker)])
                switch outcome {
                case .done(nil):
                    continue
                case .done(let result?):
                    try await tx.execute(
                        SQL(
                            "UPDATE jobs SET state = 'done', done_at = ?, updated_at = ?, lease_until = NULL, last_error = NULL, error_chain = NULL, result = ?",
                            [.int(now), .int(now), .text(Secrets.redact(result).serialized())]
                        ) + guardClause
                    )
                case .retry(let eta, let error, let refund):
                    try await tx.execute(
                        SQL(
                            "UPDATE jobs SET state = 'pending', eta = ?, updated_at = ?, lease_until = NULL, worker = NULL, attempts = attempts - ?, ",
                            [.int(eta), .int(now), .int(refund ? 1 : 0)]
                        ) + Self.errorColumns(error) + guardClause
                    )
                case .failed(let error):
                    let changed = try await tx.execute(
                        SQL(
                            "UPDATE jobs SET state = 'failed', failed_at = ?, updated_at = ?, lease_until = NULL, ",
                            [.int(now), .int(now)]
                        ) + Self.errorColumns(error) + guardClause
                    )
                    if changed > 0 { try await Self.logFailure(job, error, at: now, tx) }
                case .waiting(let error):
                    // Waiting only while the instance still needs re-authorization: if it was authorized again
                    // while this job ran, the job goes straight back to pending.
                    try await tx.execute(
                        SQL(
                            """
                            UPDATE jobs SET state = CASE WHEN EXISTS (SELECT 1 FROM instance_pauses p WHERE p.instance_id = jobs.instance_id AND p.reason = 'needs_reauth')
                                THEN 'waiting' ELSE 'pending' END, updated_at = ?, lease_until = NULL, worker = NULL, attempts = attempts - 1
                            """,
                            [.int(now)]
                        ) + SQL(", ") + Self.errorColumns(error) + guardClause
                    )
                }
            }
        }
    }

    /// A failed job is an entry in the error centre (`zoho.log`), written with the failure itself:
    /// the cause chain, and the last Zoho exchange as the context to debug it with.
    static func logFailure(_ job: Job, _ e: ErrorReport, at now: Micros, _ tx: any SQLExecutor) async throws {
        let stack = e.exchange.map { "last Zoho exchange:\n" + $0.serialized() }
        try await tx.execute(
            SQL(
                "INSERT INTO logs (company_id, instance_id, job_id, level, source, message, cause, stack, created_at) VALUES (?, ?, ?, 'error', 'queue', ?, ?, ?, ?)",
                [
                    .int(job.companyID), SQLValue(job.instanceID), .int(job.id),
                    .text("job \(job.kind) #\(job.id) failed after \(job.attempts) attempt(s): \(e.message)"),
                    .text(e.causes.joined(separator: "\ncaused by: ")), stack.map { .text($0) } ?? .null, .int(now),
                ]
            )
        )
    }

    static func errorColumns(_ e: ErrorReport) -> SQL {
        SQL(
            "last_error = ?, error_chain = ?, last_exchange = ?",
            [
                .text(e.message), .text(JSONValue.array(e.causes.map { .string($0) }).serialized()),
                e.exchange.map { .text($0.serialized()) } ?? .null,
            ]
        )
    }

    /// Extends the leases of jobs this worker still runs.
    public func renewLeases(_ ids: [Int64], worker: String, leaseSeconds: Double) async throws {
        guard !ids.isEmpty else { return }
        try await store.execute(
            SQL(
                "UPDATE jobs SET lease_until = ? WHERE state = 'running' AND worker = ? AND id IN (",
                [.int(Clock.now() + Int64(leaseSeconds * 1e6)), .text(worker)]
            ) + .list(ids.map { .int($0) }) + SQL(")")
        )
    }

    /// Requeues jobs whose lease expired (their worker died): the attempt they used stays counted,
    /// and a job out of attempts fails instead. Returns how many were rescued.
    @discardableResult
    public func rescueExpired() async throws -> Int {
        let now = Clock.now()
        let n = try await store.transaction { tx in
            let failed = try await tx.query(
                SQL(
                    """
                    UPDATE jobs SET state = 'failed', failed_at = ?, updated_at = ?, lease_until = NULL, worker = NULL,
                        last_error = 'the worker running this job stopped (lease expired) and no attempts are left'
                    WHERE state = 'running' AND lease_until < ? AND attempts >= max_attempts
                    RETURNING \(Job.columns)
                    """,
                    [.int(now), .int(now), .int(now)]
                )
            ).map(Job.init(row:))
            for job in failed { try await Self.logFailure(job, ErrorReport(message: job.lastError ?? "lease expired"), at: now, tx) }
            let requeued = try await tx.execute(
                SQL(
                    """
                    UPDATE jobs SET state = 'pending', eta = ?, updated_at = ?, lease_until = NULL, worker = NULL,
                        last_error = 'the worker running this job stopped (lease expired); requeued'
                    WHERE state = 'running' AND lease_until < ?
                    """,
                    [.int(now), .int(now), .int(now)]
                )
            )
            return failed.count + requeued
        }
        if n > 0 { announce() }
        return n
    }

    /// Waiting jobs of instances that no longer need re-authorization back to pending: a job that
    /// finished as waiting just as another sidecar resumed its instance is not left behind. A hold
    /// left on an instance that is connected again (set by a sidecar that decided on the old state
    /// while the instance was being authorized) is dropped first, so it cannot park the queue for good.
    @discardableResult
    public func releaseStrandedWaits() async throws -> Int {
        let now = Clock.now()
        let n = try await store.transaction { tx in
            try await tx.execute(
                SQL(
                    """
                    DELETE FROM instance_pauses WHERE reason = 'needs_reauth'
                      AND instance_id IN (SELECT id FROM instances WHERE state = 'connected' AND refresh_token_enc IS NOT NULL)
                    """
                )
            )
            return try await tx.execute(
                SQL(
                    """
                    UPDATE jobs SET state = 'pending', eta = ?, updated_at = ?
                    WHERE state = 'waiting' AND (instance_id IS NULL OR NOT EXISTS (
                        SELECT 1 FROM instance_pauses p WHERE p.instance_id = jobs.instance_id AND p.reason = 'needs_reauth'))
                    """,
                    [.int(now), .int(now)]
                )
            )
        }
        if n > 0 { announce() }
        return n
    }

    /// Pending jobs of an instance held for re-authorization, enqueued after the hold was set, wait
    /// too: claims skip them either way, and the Jobs list should say why they do not run. (The
    /// hold parks the jobs pending at that moment; an enqueue racing it could leave one `pending`.)
    @discardableResult
    public func parkHeldJobs() async throws -> Int {
        try await store.execute(
            SQL(
                """
                UPDATE jobs SET state = 'waiting', updated_at = ?
                WHERE state = 'pending' AND instance_id IN (SELECT instance_id FROM instance_pauses WHERE reason = 'needs_reauth')
                """,
                [.int(Clock.now())]
            )
        )
    }

    /// Whether the instance's jobs are parked until it is authorized again.
    public func isHeldForReauthorization(_ instanceID: Int64) async throws -> Bool {
        try await store.scalar(SQL("SELECT count(*) FROM instance_pauses WHERE instance_id = ? AND reason = 'needs_reauth'", [.int(instanceID)])).int
            ?? 0 > 0
    }

    /// When the next pending job becomes due (for sleeping until then), if any.
    public func nextETA() async throws -> Micros? {
        try await store.scalar(SQL("SELECT min(eta) FROM jobs WHERE state = 'pending'")).int
    }

    // MARK: instance pauses

    /// Zoho throttled this instance: every job of it waits until `until` (a later pause wins).
    /// One upsert, so concurrent jobs meeting the same 429 cannot trip over each other.
    public func pauseInstance(_ instanceID: Int64, until: Micros, reason: String) async throws {
        try await store.execute(
            SQL(
                """
                INSERT INTO instance_pauses (instance_id, until_at, reason) VALUES (?, ?, ?)
                ON CONFLICT (instance_id) DO UPDATE SET until_at = excluded.until_at, reason = excluded.reason
                WHERE instance_pauses.until_at < excluded.until_at
                """,
                [.int(instanceID), .int(until), .text(reason)]
            )
        )
    }

    /// The instance needs re-authorization: its pending jobs wait, and new ones stay paused.
    /// Idempotent: every job that meets the revoked token may call it at once. `marking` changes the
    /// instance's own state in the same transaction, so whoever sees that state sees the hold too (a job
    /// told "needs re-authorization" then waits rather than retries); when it returns false nothing is held.
    @discardableResult
    public func holdForReauthorization(_ instanceID: Int64, marking: (@Sendable (any SQLExecutor) async throws -> Bool)? = nil) async throws -> Bool {
        try await store.transaction { tx in
            if let marking, !(try await marking(tx)) { return false }
            try await tx.execute(
                SQL(
                    """
                    INSERT INTO instance_pauses (instance_id, until_at, reason) VALUES (?, ?, 'needs_reauth')
                    ON CONFLICT (instance_id) DO UPDATE SET until_at = excluded.until_at, reason = excluded.reason
                    """,
                    [.int(instanceID), .int(Int64.max)]
                )
            )
            try await tx.execute(
                SQL(
                    "UPDATE jobs SET state = 'waiting', updated_at = ? WHERE instance_id = ? AND state = 'pending'",
                    [.int(Clock.now()), .int(instanceID)]
                )
            )
            return true
        }
    }

    /// Re-authorized: waiting jobs run again, with the attempts they had.
    public func resumeInstance(_ instanceID: Int64) async throws {
        try await store.transaction { tx in
            try await tx.execute(SQL("DELETE FROM instance_pauses WHERE instance_id = ?", [.int(instanceID)]))
            try await tx.execute(
                SQL(
                    "UPDATE jobs SET state = 'pending', eta = ?, updated_at = ? WHERE instance_id = ? AND state = 'waiting'",
                    [.int(Clock.now()), .int(Clock.now()), .int(instanceID)]
                )
            )
        }
        announce()
    }

    // MARK: operators

    /// Failed or cancelled jobs back to pending, with fresh attempts. Returns how many.
    @discardableResult
    public func retry(_ ids: [Int64]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let now = Clock.now()
        let n = try await store.execute(
            SQL(
                "UPDATE jobs SET state = 'pending', attempts = 0, eta = ?, updated_at = ?, failed_at = NULL, cancelled_at = NULL WHERE state IN ('failed', 'cancelled') AND id IN (",
                [.int(now), .int(now)]
            ) + .list(ids.map { .int($0) }) + SQL(")")
        )
        announce()
        return n
    }

    /// Pending, waiting or failed jobs to cancelled (a running job finishes its attempt first).
    @discardableResult
    public func cancel(_ ids: [Int64]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let now = Clock.now()
        return try await store.execute(
            SQL(
                "UPDATE jobs SET state = 'cancelled', cancelled_at = ?, updated_at = ? WHERE state IN ('pending', 'waiting', 'failed') AND id IN (",
                [.int(now), .int(now)]
            ) + .list(ids.map { .int($0) }) + SQL(")")
        )
    }

    /// Every failed job (optionally of one instance) back to pending.
    @discardableResult
    public func requeueFailed(instanceID: Int64? = nil, companies: [Int64]? = nil) async throws -> Int {
        let now = Clock.now()
        var sql = SQL(
            "UPDATE jobs SET state = 'pending', attempts = 0, eta = ?, updated_at = ?, failed_at = NULL WHERE state = 'failed'",
            [.int(now), .int(now)]
        )
        if let instanceID { sql.append(" AND instance_id = ?", .int(instanceID)) }
        if let companies { sql.append(SQL(" AND company_id IN (") + .list(companies.map { .int($0) }) + SQL(")")) }
        let n = try await store.execute(sql)
        announce()
        return n
    }

    /// Deletes done (and cancelled) jobs finished more than `days` ago, optionally only those of
    /// `companies`. Returns how many.
    @discardableResult
    public func purge(olderThanDays days: Double, companies: [Int64]? = nil) async throws -> Int {
        let cutoff = Clock.now() - Int64(days * 86_400 * 1e6)
        var sql = SQL("DELETE FROM jobs WHERE state IN ('done', 'cancelled') AND updated_at < ?", [.int(cutoff)])
        if let companies {
            sql.append(SQL(" AND company_id IN (") + (companies.isEmpty ? SQL("NULL") : .list(companies.map { .int($0) })) + SQL(")"))
        }
        return try await store.execute(sql)
    }

    public func job(_ id: Int64) async throws -> Job? {
        try await store.query(SQL("SELECT \(Job.columns) FROM jobs WHERE id = ?", [.int(id)])).first.map(Job.init(row:))
    }

    public func counts() async throws -> [Job.State: Int] {
        var out: [Job.State: Int] = [:]
        for row in try await store.query(SQL("SELECT state, count(*) AS n FROM jobs GROUP BY state")) {
            if let s = row["state"].text.flatMap(Job.State.init(rawValue:)) { out[s] = Int(row["n"].int ?? 0) }
        }
        return out
    }
}

extension JobQueue {
    /// Finished jobs (done, failed, cancelled) run again from scratch.
    @discardableResult
    public func requeue(_ ids: [Int64]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let now = Clock.now()
        let n = try await store.execute(
            SQL(
                "UPDATE jobs SET state = 'pending', attempts = 0, eta = ?, updated_at = ?, done_at = NULL, failed_at = NULL, cancelled_at = NULL WHERE state IN ('done', 'failed', 'cancelled') AND id IN (",
                [.int(now), .int(now)]
            ) + .list(ids.map { .int($0) }) + SQL(")")
        )
        announce()
        return n
    }
}
