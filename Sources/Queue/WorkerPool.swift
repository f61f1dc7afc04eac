import Core
import Foundation
import Logging
import Store
import Synchronization

/// One sidecar's workers: claims due jobs in batches, runs up to `concurrency` at once, records
/// outcomes in batched transactions (group commit), renews leases, rescues jobs of dead workers,
/// and on shutdown stops claiming, lets running jobs finish, and releases what did not.
///
/// The pool's bookkeeping sits behind one mutex rather than in an actor: a finishing job updates
/// it in place, so a no-op job costs no hop between threads.
public final class WorkerPool: Sendable {
    public let id: String
    let queue: JobQueue
    let handlers: HandlerRegistry
    let logger: Logger
    let options: Options
    let telemetry: Telemetry
    private let state: Mutex<State>

    struct Running {
        let task: Task<Void, Never>
        let job: Job
        let started: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant
        let timeout: Double
    }

    struct State {
        var settings: QueueSettings
        var running: [Int64: Running] = [:]
        var finished: [(job: Job, outcome: Outcome)] = []
        var flushing = false
        /// The claim loop parked until enough slots free up.
        var slotWaiter: CheckedContinuation<Void, Never>?
        /// `stop` callers, resumed when `run` has returned.
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        var stopping = false
        var started = false
        var stopped = false
        /// When the last claim found work: idle polling starts fast and slows down from here.
        var idleSince = ContinuousClock.now

        /// Claim in worthwhile batches: wait until a good share of the slots is free again.
        var wantsClaim: Bool {
            running.isEmpty || settings.concurrency - running.count >= min(settings.maxJobsPerRun, max(1, settings.concurrency / 2))
        }
    }

    public struct Options: Sendable {
        /// How often leases are renewed and expired leases rescued.
        public var maintenanceInterval: Duration = .seconds(5)
        /// Longest idle wait between claims when nothing wakes the worker.
        public var idlePoll: Duration = .seconds(1)
        public init(maintenanceInterval: Duration = .seconds(5), idlePoll: Duration = .seconds(1)) {
            self.maintenanceInterval = maintenanceInterval
            self.idlePoll = idlePoll
        }
    }

    public init(
        queue: JobQueue,
        handlers: HandlerRegistry,
        settings: QueueSettings = QueueSettings(),
        options: Options = Options(),
        telemetry: Telemetry = .none,
        logger: Logger = Logger(label: "zoho-sidecar.queue")
    ) {
        self.telemetry = telemetry
        self.id = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        self.queue = queue
        self.handlers = handlers
        self.options = options
        self.logger = logger
        self.state = Mutex(State(settings: settings))
    }

    public var settings: QueueSettings { state.withLock { $0.settings } }
    public var isRunning: Bool { state.withLock { $0.started && !$0.stopped } }
    public var runningCount: Int { state.withLock { $0.running.count } }

    /// Picks up changed settings now (other sidecars on the database do so within `maintenanceInterval`).
    public func reloadSettings() async throws {
        let loaded = try await QueueSettings.load(queue.store)
        state.withLock { $0.settings = loaded }
        resumeSlotWaiter()
    }

    /// Runs until cancelled or `stop` is called.
    public func run() async {
        if let loaded = try? await QueueSettings.load(queue.store) { state.withLock { $0.settings = loaded } }
        state.withLock { $0.started = true }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.maintenanceLoop() }
            group.addTask { await self.watchdog() }
            if let pg = queue.store as? PostgresStore {
                let signal = queue.signal
                group.addTask { await pg.listenForever(channel: JobQueue.notifyChannel) { signal.fire() } }
            }
            await claimLoop()
            await drain()
            group.cancelAll()
        }
        let waiters = state.withLock { s in
            s.stopped = true
            defer { s.stopWaiters = [] }
            return s.stopWaiters
        }
        for w in waiters { w.resume() }
    }

    /// Stops claiming; running jobs get `grace` to finish, then are released back to pending.
    /// Returns once every outcome is written and `run` has returned.
    public func stop(grace: Duration) async {
        state.withLock { $0.stopping = true }
        queue.signal.fire()
        resumeSlotWaiter()
        let deadline = ContinuousClock.now + grace
        while runningCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let leftover = state.withLock { s -> [Int64: Running] in
            defer { s.running = [:] }
            return s.running
        }
        if !leftover.isEmpty {
            logger.warning("releasing \(leftover.count) jobs still running after the grace period")
            for r in leftover.values { r.task.cancel() }
            try? await queue.release(Array(leftover.keys), worker: id)
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if !s.started || s.stopped { return true }
                s.stopWaiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    private func claimLoop() async {
        while !Task.isCancelled && !state.withLock({ $0.stopping }) {
            if !state.withLock({ $0.wantsClaim }) {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { s -> Bool in
                        if s.wantsClaim || s.stopping { return true }
                        s.slotWaiter = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
                continue
            }
            let (free, batch, lease) = state.withLock {
                ($0.settings.concurrency - $0.running.count, $0.settings.maxJobsPerRun, $0.settings.leaseSeconds)
            }
            let jobs: [Job]
            do {
                jobs = try await queue.claim(limit: min(free, batch), worker: id, leaseSeconds: lease)
            } catch {
                logger.error("claiming jobs failed; retrying in 1 s: \(Secrets.redact(String(describing: error)))")
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            if jobs.isEmpty {
                await idle(timeout: await idleTimeout())
                continue
            }
            // A claim still on its way when `stop` took the running jobs: give these back, unstarted.
            let started = state.withLock { s -> Bool in
                if s.stopping { return false }
                s.idleSince = ContinuousClock.now
                let now = ContinuousClock.now
                for job in jobs {
                    let timeout = min(handlers[job.kind]?.timeoutSeconds ?? s.settings.maxRuntimeSeconds, s.settings.maxRuntimeSeconds)
                    let task = Task { [self] in
                        let outcome = await LogContext.$jobID.withValue(job.id) {
                            let outcome = await self.execute(job)
                            self.log(job, outcome)
                            return outcome
                        }
                        self.completed(job, outcome)
                    }
                    s.running[job.id] = Running(
                        task: task,
                        job: job,
                        started: now,
                        deadline: now + .milliseconds(Int64(timeout * 1000)),
                        timeout: timeout
                    )
                }
                return true
            }
            if !started { try? await queue.release(jobs.map(\.id), worker: id) }
        }
    }

    /// Waits for a wake-up: this process's enqueues fire the signal, PostgreSQL's NOTIFY fires it for
    /// other processes; on SQLite another process's commit shows as a new data_version.
    private func idle(timeout: Duration) async {
        guard let sqlite = queue.store as? SQLiteStore, let start = try? await sqlite.dataVersion() else {
            await queue.signal.wait(timeout: timeout)
            return
        }
        // Poll fast right after work (a steady stream stays fast), slower the longer it stays quiet.
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, !state.withLock({ $0.stopping }) {
            if queue.signal.consume() { return }
            let quiet = ContinuousClock.now - state.withLock { $0.idleSince }
            try? await Task.sleep(for: quiet < .milliseconds(100) ? .milliseconds(1) : quiet < .seconds(2) ? .milliseconds(10) : .milliseconds(50))
            if let now = try? await sqlite.dataVersion(), now != start { return }
        }
    }

    /// Sleep until the next job is due, but never long: other sidecars, pauses and clocks change things.
    private func idleTimeout() async -> Duration {
        guard let next = try? await queue.nextETA() else { return options.idlePoll }
        let wait = next - Clock.now()
        if wait <= 0 { return options.idlePoll }
        return min(options.idlePoll, .microseconds(wait))
    }

    private func completed(_ job: Job, _ outcome: Outcome) {
        let (started, startFlush, wake) = state.withLock { s -> (ContinuousClock.Instant?, Bool, CheckedContinuation<Void, Never>?) in
            guard let running = s.running.removeValue(forKey: job.id) else { return (nil, false, nil) }
            s.finished.append((job, outcome))
            let startFlush = !s.flushing
            if startFlush { s.flushing = true }
            var wake: CheckedContinuation<Void, Never>?
            if s.wantsClaim {
                wake = s.slotWaiter
                s.slotWaiter = nil
            }
            return (running.started, startFlush, wake)
        }
        wake?.resume()
        if let started { telemetry.jobFinished(kind: job.kind, outcome: outcome.label, duration: .now - started) }
        if startFlush { Task { await self.flush() } }
    }

    private func resumeSlotWaiter() {
        state.withLock { s in
            defer { s.slotWaiter = nil }
            return s.slotWaiter
        }?.resume()
    }

    /// Group commit: one transaction writes every outcome that finished while the previous write ran.
    /// Outcomes stay in memory while the store is down (nothing is lost; leases cover a crash).
    /// Called with `flushing` already set by whoever started it.
    private func flush() async {
        while true {
            let batch = state.withLock { s -> [(job: Job, outcome: Outcome)] in
                defer { s.finished = [] }
                if s.finished.isEmpty { s.flushing = false }
                return s.finished
            }
            if batch.isEmpty { return }
            do {
                try await queue.finish(batch, worker: id)
            } catch {
                logger.error("recording \(batch.count) job outcomes failed; will retry: \(Secrets.redact(String(describing: error)))")
                state.withLock { $0.finished = batch + $0.finished }
                if Task.isCancelled {
                    state.withLock { $0.flushing = false }
                    return
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// After the last claim: waits for running jobs, then for every outcome to be written.
    private func drain() async {
        while true {
            let (busy, pending) = state.withLock { s in (!s.running.isEmpty || s.flushing, !s.finished.isEmpty) }
            if busy {
                try? await Task.sleep(for: .milliseconds(5))
            } else if pending {
                state.withLock { $0.flushing = true }
                await flush()
            } else {
                return
            }
        }
    }

    /// Stops jobs past their timeout: one ticker for all jobs instead of a timer per job. The job is
    /// recorded as timed out at once; its task is cancelled and whatever it returns later is ignored.
    private func watchdog() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            let now = ContinuousClock.now
            let overdue = state.withLock { s in s.running.values.filter { $0.deadline < now } }
            for r in overdue {
                // Record the timeout first, so the cancelled task's own ending is the one ignored.
                let error = JobError(.retryable, "the job ran longer than its timeout of \(r.timeout) s and was stopped")
                let outcome = retryOrFail(r.job, ErrorReport(error), settings)
                LogContext.$jobID.withValue(r.job.id) { log(r.job, outcome) }
                completed(r.job, outcome)
                r.task.cancel()
            }
        }
    }

    private func maintenanceLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.maintenanceInterval)
            if Task.isCancelled { return }
            do {
                let (ids, lease) = state.withLock { (Array($0.running.keys), $0.settings.leaseSeconds) }
                try await queue.renewLeases(ids, worker: id, leaseSeconds: lease)
                let rescued = try await queue.rescueExpired()
                if rescued > 0 { logger.warning("rescued \(rescued) jobs whose worker stopped") }
                let released = try await queue.releaseStrandedWaits()
                if released > 0 { logger.warning("\(released) waiting job(s) of re-authorized instances back to pending") }
                try await queue.parkHeldJobs()
                let loaded = try await QueueSettings.load(queue.store)
                state.withLock { $0.settings = loaded }
            } catch {
                logger.error("queue maintenance failed: \(Secrets.redact(String(describing: error)))")
            }
        }
    }

    // MARK: running one job

    func execute(_ job: Job) async -> Outcome {
        guard let handler = handlers[job.kind] else {
            return .failed(
                error: ErrorReport(message: "no handler is registered for kind '\(job.kind)' (known: \(handlers.kinds.joined(separator: ", ")))")
            )
        }
        var logger = self.logger
        logger[metadataKey: "kind"] = "\(job.kind)"
        let settings = self.settings
        let context = JobContext(job: job, logger: logger)
        do {
            return .done(result: try await handler.run(context))
        } catch let error as JobError {
            let report = ErrorReport(error, exchange: error.exchange)
            switch error.kind {
            case .permanent:
                return .failed(error: report)
            case .throttled(let retryAfter):
                let until = Clock.now() + Int64((retryAfter ?? 30) * 1e6)
                if let instance = job.instanceID {
                    try? await queue.pauseInstance(instance, until: until, reason: error.message)
                }
                return .retry(eta: until, error: report, refund: true)
            case .deferred(let until):
                return .retry(eta: until, error: report, refund: true)
            case .needsReauth:
                // Whoever learnt that the instance needs authorizing (the token keeper, a revocation) parked
                // it. A job that read the instance's old state while it was being authorized again finds no
                // hold and simply tries again; it must not park the instance itself.
                guard let instance = job.instanceID, (try? await queue.isHeldForReauthorization(instance)) ?? true else {
                    return retryOrFail(job, report, settings)
                }
                return .waiting(error: report)
            case .retryable:
                return retryOrFail(job, report, settings)
            }
        } catch {
            return retryOrFail(job, ErrorReport(error), settings)
        }
    }

    /// A failed attempt is worth a line (with the job's id, from LogContext); a success is not.
    private func log(_ job: Job, _ outcome: Outcome) {
        switch outcome {
        case .done: break
        case .retry(let eta, let error, _):
            logger.warning(
                "job attempt failed; retrying at \(Clock.odooString(eta)): \(error.message)",
                metadata: ["kind": "\(job.kind)", "attempt": "\(job.attempts)"]
            )
        case .failed(let error):
            logger.error("job failed: \(error.message)", metadata: ["kind": "\(job.kind)", "attempts": "\(job.attempts)"])
        case .waiting(let error):
            logger.warning("job waits for the instance to be authorized again: \(error.message)", metadata: ["kind": "\(job.kind)"])
        }
    }

    private func retryOrFail(_ job: Job, _ report: ErrorReport, _ settings: QueueSettings) -> Outcome {
        if job.attempts >= job.maxAttempts { return .failed(error: report) }
        return .retry(eta: Clock.now() + Int64(settings.backoff(attempt: job.attempts) * 1e6), error: report, refund: false)
    }
}

extension JobQueue {
    /// Gives jobs a worker could not finish back to the queue, refunding the attempt (shutdown, not failure).
    public func release(_ ids: [Int64], worker: String) async throws {
        guard !ids.isEmpty else { return }
        try await store.execute(
            SQL(
                "UPDATE jobs SET state = 'pending', attempts = attempts - 1, worker = NULL, lease_until = NULL, updated_at = ? WHERE state = 'running' AND worker = ? AND id IN (",
                [.int(Clock.now()), .text(worker)]
            ) + .list(ids.map { .int($0) }) + SQL(")")
        )
        announce()
    }
}
