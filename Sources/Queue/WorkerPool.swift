import Core
import Foundation
import Logging
import Store

/// One sidecar's workers: claims due jobs in batches, runs up to `concurrency` at once, records
/// outcomes in batched transactions (group commit), renews leases, rescues jobs of dead workers,
/// and on shutdown stops claiming, lets running jobs finish, and releases what did not.
public actor WorkerPool {
    public nonisolated let id: String
    let queue: JobQueue
    let handlers: HandlerRegistry
    let logger: Logger
    let options: Options
    public private(set) var settings: QueueSettings
    private var running: [Int64: Task<Void, Never>] = [:]
    private var finished: [(job: Job, outcome: Outcome)] = []
    private let slotFreed = WakeSignal()
    private let flushNeeded = WakeSignal()
    private var stopping = false
    private var stopped = false
    private var flushing = false
    private var started = false
    /// When the last claim found work: idle polling starts fast and slows down from here.
    private var idleSince = ContinuousClock.now
    /// Started, finished and failed counts since start, for health and benchmarks.
    public private(set) var processed = 0

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

    public init(queue: JobQueue, handlers: HandlerRegistry, settings: QueueSettings = QueueSettings(), options: Options = Options(),
                logger: Logger = Logger(label: "zoho-sidecar.queue")) {
        self.id = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        self.queue = queue
        self.handlers = handlers
        self.settings = settings
        self.options = options
        self.logger = logger
    }

    public var isRunning: Bool { !stopped }

    /// Picks up changed settings now (other sidecars on the database do so within `maintenanceInterval`).
    public func reloadSettings() async throws {
        settings = try await QueueSettings.load(queue.store)
        slotFreed.fire()
    }
    public var runningCount: Int { running.count }

    /// Runs until cancelled or `stop` is called.
    public func run() async {
        started = true
        if let loaded = try? await QueueSettings.load(queue.store) { settings = loaded }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.flushLoop() }
            group.addTask { await self.maintenanceLoop() }
            if let pg = queue.store as? PostgresStore {
                let signal = queue.signal
                group.addTask { await pg.listenForever(channel: JobQueue.notifyChannel) { signal.fire() } }
            }
            await claimLoop()
            await drain()
            group.cancelAll()
        }
        stopped = true
        slotFreed.fire()
    }

    /// Stops claiming; running jobs get `grace` to finish, then are released back to pending.
    /// Returns once every outcome is written and `run` has returned.
    public func stop(grace: Duration) async {
        stopping = true
        queue.signal.fire()
        slotFreed.fire()
        let deadline = ContinuousClock.now + grace
        while !running.isEmpty, ContinuousClock.now < deadline {
            await slotFreed.wait(timeout: .milliseconds(50))
        }
        if !running.isEmpty {
            let ids = Array(running.keys)
            logger.warning("releasing \(ids.count) jobs still running after the grace period")
            for task in running.values { task.cancel() }
            running = [:]
            try? await queue.release(ids, worker: id)
        }
        while started && !stopped { await slotFreed.wait(timeout: .milliseconds(20)) }
    }

    private func claimLoop() async {
        while !Task.isCancelled && !stopping {
            let free = settings.concurrency - running.count
            if free <= 0 {
                await slotFreed.wait(timeout: .milliseconds(200))
                continue
            }
            let jobs: [Job]
            do {
                jobs = try await queue.claim(limit: min(free, settings.maxJobsPerRun), worker: id, leaseSeconds: settings.leaseSeconds)
            } catch {
                logger.error("claiming jobs failed; retrying in 1 s: \(Secrets.redact(String(describing: error)))")
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            if jobs.isEmpty {
                await idle(timeout: await idleTimeout())
                continue
            }
            idleSince = ContinuousClock.now
            for job in jobs {
                running[job.id] = Task { [self] in
                    let outcome = await self.execute(job)
                    await self.completed(job, outcome)
                }
            }
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
        let began = ContinuousClock.now
        let deadline = began + timeout
        while ContinuousClock.now < deadline, !stopping {
            if queue.signal.consume() { return }
            let quiet = ContinuousClock.now - idleSince
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
        guard running.removeValue(forKey: job.id) != nil else { return }
        finished.append((job, outcome))
        processed += 1
        flushNeeded.fire()
        slotFreed.fire()
    }

    /// Writes finished outcomes in batches; keeps them while the store is down (nothing is lost).
    private func flushLoop() async {
        while !Task.isCancelled {
            await flushNeeded.wait(timeout: .milliseconds(100))
            await flush()
        }
    }

    private func flush() async {
        guard !finished.isEmpty, !flushing else { return }
        flushing = true
        defer { flushing = false }
        let batch = finished
        finished = []
        do {
            try await queue.finish(batch, worker: id)
        } catch {
            logger.error("recording \(batch.count) job outcomes failed; will retry: \(Secrets.redact(String(describing: error)))")
            finished = batch + finished
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// After the last claim: waits for running jobs, then until every outcome is written (the
    /// flush loop is cancelled only after this, so no outcome is dropped mid-write).
    private func drain() async {
        while !running.isEmpty { await slotFreed.wait(timeout: .milliseconds(50)) }
        let deadline = ContinuousClock.now + .seconds(30)
        while (flushing || !finished.isEmpty) && ContinuousClock.now < deadline && !Task.isCancelled {
            if flushing { try? await Task.sleep(for: .milliseconds(10)) } else { await flush() }
        }
    }

    private func maintenanceLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.maintenanceInterval)
            if Task.isCancelled { return }
            do {
                try await queue.renewLeases(Array(running.keys), worker: id, leaseSeconds: settings.leaseSeconds)
                let rescued = try await queue.rescueExpired()
                if rescued > 0 { logger.warning("rescued \(rescued) jobs whose worker stopped") }
                settings = try await QueueSettings.load(queue.store)
            } catch {
                logger.error("queue maintenance failed: \(Secrets.redact(String(describing: error)))")
            }
        }
    }

    // MARK: running one job

    func execute(_ job: Job) async -> Outcome {
        guard let handler = handlers[job.kind] else {
            return .failed(error: ErrorReport(message: "no handler is registered for kind '\(job.kind)' (known: \(handlers.kinds.joined(separator: ", ")))"))
        }
        var logger = self.logger
        logger[metadataKey: "job_id"] = "\(job.id)"
        logger[metadataKey: "kind"] = "\(job.kind)"
        let timeout = min(handler.timeoutSeconds ?? settings.maxRuntimeSeconds, settings.maxRuntimeSeconds)
        let context = JobContext(job: job, logger: logger)
        do {
            let result = try await Self.withTimeout(seconds: timeout) { try await handler.run(context) }
            return .done(result: result)
        } catch let error as JobError {
            let report = ErrorReport(error, exchange: error.exchange)
            switch error.kind {
            case .permanent:
                return .failed(error: report)
            case .throttled(let retryAfter):
                let until = Clock.now() + Int64((retryAfter ?? 30) * 1e6)
                if let instance = job.instanceID {
                    try? await queue.pauseInstance(instance, until: until, reason: "throttled by Zoho")
                }
                return .retry(eta: until, error: report, refund: true)
            case .needsReauth:
                if let instance = job.instanceID { try? await queue.holdForReauthorization(instance) }
                return .waiting(error: report)
            case .retryable:
                return retryOrFail(job, report)
            }
        } catch {
            return retryOrFail(job, ErrorReport(error))
        }
    }

    private func retryOrFail(_ job: Job, _ report: ErrorReport) -> Outcome {
        if job.attempts >= job.maxAttempts { return .failed(error: report) }
        return .retry(eta: Clock.now() + Int64(settings.backoff(attempt: job.attempts) * 1e6), error: report, refund: false)
    }

    static func withTimeout<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                throw JobError(.retryable, "the job ran longer than its timeout of \(seconds) s and was stopped")
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
    }
}

extension JobQueue {
    /// Gives jobs a worker could not finish back to the queue, refunding the attempt (shutdown, not failure).
    public func release(_ ids: [Int64], worker: String) async throws {
        guard !ids.isEmpty else { return }
        try await store.execute(SQL("UPDATE jobs SET state = 'pending', attempts = attempts - 1, worker = NULL, lease_until = NULL, updated_at = ? WHERE state = 'running' AND worker = ? AND id IN (",
                                    [.int(Clock.now()), .text(worker)]) + .list(ids.map { .int($0) }) + SQL(")"))
        signal.fire()
    }
}
