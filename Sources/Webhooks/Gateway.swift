import Core
import Foundation
import Logging
import Queue
import Store
import Sync
import Synchronization
import ZohoAPI

public struct WebhookSettings: Sendable {
    public var maxBodyBytes = 512 * 1024
    public var dedupWindowSeconds: Double = 86_400
    /// Sustained deliveries per second per instance, and the burst above it.
    public var rate: Double = 500
    public var burst: Double = 1_000

    public init(maxBodyBytes: Int = 512 * 1024, dedupWindowSeconds: Double = 86_400, rate: Double = 500, burst: Double = 1_000) {
        self.maxBodyBytes = maxBodyBytes
        self.dedupWindowSeconds = dedupWindowSeconds
        self.rate = rate
        self.burst = burst
    }
}

/// One incoming delivery as the HTTP layer hands it over.
public struct Delivery: Sendable {
    public var instance: String
    public var app: String
    public var object: String
    public var query: [(String, String)]
    public var contentType: String?
    public var secretHeader: String?
    public var signatureHeader: String?
    /// nil when the body exceeded the limit.
    public var body: [UInt8]?
    public var declaredSize: Int?

    public init(
        instance: String,
        app: String,
        object: String,
        query: [(String, String)],
        contentType: String?,
        secretHeader: String?,
        signatureHeader: String?,
        body: [UInt8]?,
        declaredSize: Int?
    ) {
        self.instance = instance
        self.app = app
        self.object = object
        self.query = query
        self.contentType = contentType
        self.secretHeader = secretHeader
        self.signatureHeader = signatureHeader
        self.body = body
        self.declaredSize = declaredSize
    }
}

/// What the HTTP layer sends back.
public struct Reply: Sendable, Equatable {
    public var status: Int
    public var body: JSONValue
    public var retryAfter: Int?
}

/// The webhook gateway: finds the instance, checks the proof of origin, parses the body, holds back
/// floods, and commits the event with its pull jobs before answering 200. Every verdict is audited
/// (refusals sampled, so a flood cannot turn into a write storm) and counted.
public final class WebhookGateway: Sendable {
    public static let apps: Set<String> = ["crm", "books", "people", "desk"]

    let settings: WebhookSettings
    let instances: Instances
    let writer: EventWriter
    let limiter: BurstLimiter
    let directory: InstanceDirectory
    let sampler = RefusalSampler()
    let logger: Logger
    let telemetry: Telemetry
    /// What each instance's mappings sync: a delivery for anything else would make a job that does nothing.
    let mappings: MappingBook
    private let counters = Mutex<[String: Int]>([:])

    public init(
        store: any Store,
        instances: Instances,
        queue: JobQueue,
        settings: WebhookSettings,
        mappings: MappingBook,
        telemetry: Telemetry = .none,
        logger: Logger
    ) {
        self.telemetry = telemetry
        self.mappings = mappings
        self.settings = settings
        self.instances = instances
        self.writer = EventWriter(queue: queue, dedupWindowSeconds: settings.dedupWindowSeconds)
        self.limiter = BurstLimiter(rate: settings.rate, burst: settings.burst)
        self.directory = InstanceDirectory(instances: instances)
        self.logger = logger
    }

    /// Deliveries by verdict (plus not_found and unavailable) since start.
    public var counts: [String: Int] { counters.withLock { $0 } }

    public func receive(_ d: Delivery) async -> Reply {
        let now = Clock.now()
        guard let id = Int64(d.instance), Self.apps.contains(d.app), !d.object.isEmpty else {
            return count(
                "not_found",
                Reply(
                    status: 404,
                    body: ["error": "not_found", "message": "no such webhook endpoint: /zoho/webhook/<instance id>/<crm|books|people|desk>/<object>"]
                )
            )
        }
        let instance: Instance?
        do {
            instance = try await directory.lookup(id)
        } catch {
            logger.error("webhook: cannot read instance \(id): \(Secrets.redact("\(error)"))")
            return count(
                "unavailable",
                Reply(status: 503, body: ["error": "unavailable", "message": "the sidecar cannot reach its store; retry later"], retryAfter: 5)
            )
        }
        guard let instance, instance.receivesWebhooks else {
            return count("not_found", Reply(status: 404, body: ["error": "not_found", "message": .string("no active instance \(id)")]))
        }
        var entry = AuditEntry(
            instanceID: id,
            companyID: instance.companyID,
            app: d.app,
            object: d.object,
            receivedAt: now,
            bodySHA256: "",
            dedupKey: nil,
            size: d.body?.count ?? d.declaredSize ?? 0,
            verdict: .rejected,
            detail: nil
        )
        guard let bytes = d.body else {
            return await refuse(entry, .rejected, 413, "body larger than \(settings.maxBodyBytes) bytes")
        }
        let body = WebhookBody(bytes: bytes, contentType: d.contentType)
        entry.bodySHA256 = body.sha256
        let parsed = Result<WebhookEvent, MalformedWebhook> { () throws(MalformedWebhook) in
            try WebhookParser.parse(app: d.app, object: d.object, body: body)
        }
        let presented = Authenticity.Presented(secretHeader: d.secretHeader, signatureHeader: d.signatureHeader, query: d.query)
        if let reason = Authenticity.refusal(instance, presented: presented, body: body, event: try? parsed.get()) {
            logger.warning(
                "webhook refused: unauthorized",
                metadata: ["instance": "\(id)", "app": "\(d.app)", "object": "\(d.object)", "reason": "\(reason)"]
            )
            return await refuse(entry, .unauthorized, 401, reason)
        }
        let event: WebhookEvent
        switch parsed {
        case .success(let e): event = e
        case .failure(let error): return await refuse(entry, .rejected, 400, error.message)
        }
        guard instance.apps.contains(d.app) else {
            // A job for an app the instance does not sync would do nothing: Zoho's webhook log shows the refusal.
            let reason = "instance \(id) does not sync \(d.app): add \(d.app) to its apps, or remove this webhook in Zoho"
            return await refuse(entry, .rejected, 422, reason)
        }
        let synced: [Mapping]
        do {
            synced = try await mappings.recent(id).active.filter { $0.app == d.app }
        } catch {
            logger.error("webhook: cannot read the mappings of instance \(id): \(Secrets.redact("\(error)"))")
            return count(
                "unavailable",
                Reply(status: 503, body: ["error": "unavailable", "message": "the sidecar cannot reach its store; retry later"], retryAfter: 5)
            )
        }
        guard synced.contains(where: { $0.object == event.object }) else {
            let known = Set(synced.map(\.object)).sorted().joined(separator: ", ")
            let reason = "no mapping syncs \(d.app) \(event.object) (synced: \(known)): add a mapping for it, or remove this webhook in Zoho"
            return await refuse(entry, .rejected, 422, reason)
        }
        if let wait = limiter.take(id) {
            return await refuse(
                entry,
                .limited,
                429,
                "more than \(Int(settings.rate)) deliveries per second (burst \(Int(settings.burst)))",
                retryAfter: wait
            )
        }
        entry.verdict = .accepted
        entry.object = event.object
        entry.dedupKey = event.dedupKey
        entry.detail = "\(event.operation) \(event.ids.count) record(s)"
        entry.jobs = stride(from: 0, to: event.ids.count, by: SyncJobs.batchLimit).map { start in
            let ids = Array(event.ids[start..<min(start + SyncJobs.batchLimit, event.ids.count)])
            let changes = event.changes.filter { ids.contains($0.key) }
            return NewJob(
                kind: SyncJobs.pull,
                payload: PullRequest(
                    app: d.app,
                    object: event.object,
                    ids: ids,
                    operation: event.operation,
                    source: "webhook",
                    changes: changes.isEmpty ? nil : changes
                ).json,
                companyID: instance.companyID,
                instanceID: id
            )
        }
        entry.fieldChanges = event.changes.flatMap { record, change in
            change.values.map {
                FieldChange(
                    instanceID: id,
                    side: .zoho,
                    object: event.object,
                    recordID: record,
                    field: $0.key,
                    time: change.time,
                    fingerprint: FieldClock.fingerprint($0.value)
                )
            }
        }
        do {
            switch try await writer.write(entry) {
            case .accepted(let jobs):
                return count(Verdict.accepted.rawValue, Reply(status: 200, body: ["status": "accepted", "jobs": .array(jobs.map { .int($0) })]))
            case .duplicate, .recorded:
                return count(Verdict.duplicate.rawValue, Reply(status: 200, body: ["status": "duplicate"]))
            }
        } catch is Overloaded {
            return count(
                "unavailable",
                Reply(status: 503, body: ["error": "overloaded", "message": "too many deliveries waiting for the store; retry later"], retryAfter: 1)
            )
        } catch {
            logger.error("webhook for instance \(id) not stored: \(Secrets.redact("\(error)"))")
            return count(
                "unavailable",
                Reply(status: 503, body: ["error": "unavailable", "message": "the delivery could not be stored; retry later"], retryAfter: 5)
            )
        }
    }

    private func refuse(_ entry: AuditEntry, _ verdict: Verdict, _ status: Int, _ reason: String, retryAfter: Int? = nil) async -> Reply {
        if let suppressed = sampler.admit(entry.instanceID, verdict) {
            var row = entry
            row.verdict = verdict
            row.detail = suppressed > 0 ? "\(reason) (and \(suppressed) similar since the last entry)" : reason
            // Sampled rows are few; waiting for them keeps the audit log in step with the answers. A store
            // that cannot take them must not turn a refusal into an error.
            _ = try? await writer.write(row)
        }
        let error: JSONValue =
            switch verdict {
            case .unauthorized: "unauthorized"
            case .limited: "rate_limited"
            case _ where status == 413: "too_large"
            case _ where status == 422: "not_synced"
            default: "bad_request"
            }
        let message = verdict == .unauthorized ? "the webhook did not prove it comes from this instance's Zoho" : reason
        return count(verdict.rawValue, Reply(status: status, body: ["error": error, "message": .string(message)], retryAfter: retryAfter))
    }

    private func count(_ key: String, _ reply: Reply) -> Reply {
        counters.withLock { $0[key, default: 0] += 1 }
        telemetry.webhook(verdict: key)
        return reply
    }
}

/// Instances as the gateway sees them, kept for a moment: a delivery costs no query and no decryption
/// while a flood goes on. A change (disable, new secret) is seen within `ttl`.
final class InstanceDirectory: Sendable {
    let instances: Instances
    let ttl: Duration
    private let cache = Mutex<[Int64: (instance: Instance?, at: ContinuousClock.Instant)]>([:])

    init(instances: Instances, ttl: Duration = .seconds(2)) {
        self.instances = instances
        self.ttl = ttl
    }

    func lookup(_ id: Int64) async throws -> Instance? {
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0[id] }), now - hit.at < ttl, let instance = hit.instance { return instance }
        // Unknown ids are not remembered: a flood of made-up ids must not grow the cache.
        let instance = try await instances.load(id)
        if let instance { cache.withLock { $0[id] = (instance, now) } }
        return instance
    }
}

/// Refusals are audited, but at most `perSecond` rows per instance and verdict each second; the rest
/// are counted into the next row, so a flood of bad requests costs the store almost nothing.
final class RefusalSampler: Sendable {
    struct Window {
        var second: Int64
        var written: Int
        var suppressed: Int
    }

    let perSecond: Int
    private let windows = Mutex<[String: Window]>([:])

    init(perSecond: Int = 5) { self.perSecond = perSecond }

    /// nil: do not write a row. Otherwise write one, noting how many were suppressed before it.
    func admit(_ instance: Int64, _ verdict: Verdict) -> Int? {
        let second = Clock.now() / 1_000_000
        return windows.withLock { all in
            let key = "\(instance)|\(verdict.rawValue)"
            var w = all[key] ?? Window(second: second, written: 0, suppressed: 0)
            if w.second != second {
                w.second = second
                w.written = 0
            }
            defer { all[key] = w }
            guard w.written < perSecond else {
                w.suppressed += 1
                return nil
            }
            w.written += 1
            let suppressed = w.suppressed
            w.suppressed = 0
            return suppressed
        }
    }
}
