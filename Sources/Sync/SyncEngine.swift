import Core
import Crypto
import Foundation
import Logging
import OdooRPC
import Queue
import Store
import Synchronization
import ZohoAPI

/// "These Odoo records changed": read again from Odoo, so the payload carries no record data.
public struct PushRequest: Codable, Sendable, Equatable {
    public var model: String
    public var ids: [Int64]
    /// create, write or unlink as Odoo reported it.
    public var operation: String
    public var source: String

    public init(model: String, ids: [Int64], operation: String, source: String) {
        self.model = model
        self.ids = ids
        self.operation = operation
        self.source = source
    }

    public var json: JSONValue {
        ["model": .string(model), "ids": .array(ids.map { .int($0) }), "operation": .string(operation), "source": .string(source)]
    }
}

/// How the sidecar reaches Odoo for an instance: the instance's own settings, else the sidecar-wide ones.
public final class OdooTargets: Sendable {
    public let fallback: OdooConnection?
    /// The protocol asked for by the `odoo_api` setting, for instances with an Odoo of their own.
    let api: OdooConnection.API
    let store: any Store
    let vault: Vault
    private let clients = Mutex<[String: OdooClient]>([:])

    public init(store: any Store, vault: Vault, fallback: OdooConnection?, api: OdooConnection.API = .auto) {
        self.store = store
        self.vault = vault
        self.fallback = fallback
        self.api = api
    }

    public func client(for instanceID: Int64) async throws -> OdooClient {
        let row = try await store.query(SQL("SELECT odoo_url, odoo_db, odoo_user, odoo_api_key_enc FROM instances WHERE id = ?", [.int(instanceID)]))
            .first
        var connection = fallback
        if let url = row?["odoo_url"].text, !url.isEmpty, let db = row?["odoo_db"].text, let user = row?["odoo_user"].text,
            let key = try row?["odoo_api_key_enc"].blob.map({ try vault.unseal($0) })
        {
            connection = OdooConnection(url: url, database: db, user: user, apiKey: key, api: api)
        }
        guard let connection else {
            throw JobError(
                .permanent,
                "instance \(instanceID) has no Odoo to sync with: set odoo_url, odoo_db, odoo_user and odoo_api_key on it or for the sidecar"
            )
        }
        let key = "\(connection.url)|\(connection.database)|\(connection.user)|\(connection.apiKey.hashValue)"
        return clients.withLock { all in
            if let c = all[key] { return c }
            let c = OdooClient(connection)
            all[key] = c
            return c
        }
    }
}

/// The two-way sync: push and pull jobs both read the current state of both sides and make them agree
/// (see `Reconciler`), so a job can be repeated, arrive late or out of order and still converge.
public struct SyncEngine: Sendable {
    let store: any Store
    let zoho: ZohoService
    let odoo: OdooTargets
    let bindings: Bindings
    let rejections: Rejections
    let log: LogBook
    /// Each instance's mappings, as stored.
    public let book: MappingBook
    let lock: SyncLock
    let passes = SharedPasses()
    /// Each field a sync writes and why, at debug level: the answer to "why did this value win?".
    let logger: Logger

    public init(
        store: any Store,
        zoho: ZohoService,
        odoo: OdooTargets,
        book: MappingBook? = nil,
        logger: Logger = Logger(label: "zoho-sidecar.sync")
    ) {
        self.logger = logger
        self.store = store
        self.zoho = zoho
        self.odoo = odoo
        self.bindings = Bindings(store: store)
        self.rejections = Rejections(store: store)
        self.log = LogBook(store: store)
        self.book = book ?? MappingBook(store: store)
        self.lock = SyncLock(instances: zoho.instances)
    }

    public var handlers: [Handler] {
        [
            .typed(SyncJobs.push, PushRequest.self, timeoutSeconds: 240) { request, context in
                try await Self.classified { try await push(request, job: context.job) }
            },
            .typed(SyncJobs.pull, PullRequest.self, timeoutSeconds: 240) { request, context in
                try await Self.classified { try await pull(request, job: context.job) }
            },
            .typed(SyncJobs.reconcile, ReconcileRequest.self) { request, context in
                try await Self.classified { try await reconcile(request, job: context.job) }
            },
        ]
    }

    /// Failures in the queue's terms: Zoho's own classification; Odoo refusing the login or the protocol,
    /// or a mapping that does not fit this Odoo, is a setting to fix (permanent); Odoo unreachable pauses the instance like a 429 does, without spending attempts,
    /// since an outage outlasts any backoff cap; anything else is worth retrying.
    static func classified(_ body: () async throws -> JSONValue) async throws -> JSONValue {
        do {
            return try await body()
        } catch let error as ZohoError {
            throw error.jobError
        } catch let fault as OdooFault where fault.kind == .accessDenied {
            throw JobError(.permanent, fault.message, cause: fault)
        } catch let refused as OdooRefused {
            throw JobError(.permanent, refused.message, cause: refused)
        } catch let down as OdooUnavailable {
            throw JobError(
                .throttled(retryAfter: odooRetrySeconds),
                "Odoo is unreachable; this instance's jobs wait \(Int(odooRetrySeconds)) s and try again",
                cause: down
            )
        }
    }

    /// How long an instance's jobs wait after Odoo could not be reached.
    static let odooRetrySeconds = 10.0

    /// Runs the pairs of every mapping of the instance on `model` for these Odoo records.
    func push(_ request: PushRequest, job: Job) async throws -> JSONValue {
        let instance = try await requireInstance(job)
        let client = try await odoo.client(for: instance.id)
        var report = Report()
        var limited: ZohoError?
        for m in try await book.mappings(instance.id).forApps(instance.apps) where m.odooModel == request.model {
            let fitted = try await fitted(m, client: client)
            // An app at its limit waits alone: the other apps' mappings of these records go on now.
            do {
                report.add(try await syncShared(fitted, instance: instance, SharedPasses.Work(odooIDs: request.ids), job: job))
            } catch let error as ZohoError where error.isLimited {
                limited = limited ?? error
            }
        }
        if let limited { throw limited }
        return report.json
    }

    func pull(_ request: PullRequest, job: Job) async throws -> JSONValue {
        let instance = try await requireInstance(job)
        guard instance.apps.contains(request.app) else {
            return ["skipped": .string("\(request.app) is no longer among the instance's apps: these records are not pulled")]
        }
        let client = try await odoo.client(for: instance.id)
        var report = Report()
        for m in try await book.mappings(instance.id).forApps(instance.apps) where m.app == request.app && m.object == request.object {
            let work = SharedPasses.Work(zohoIDs: request.ids, zohoChanges: request.changes ?? [:])
            report.add(try await syncShared(try await fitted(m, client: client), instance: instance, work, job: job))
        }
        return report.json
    }

    /// `sync` under the instance's and mapping's lock; returns the report with this run's counts added.
    func syncLocked(
        _ m: Mapping,
        instance: Instance,
        odooIDs: [Int64],
        zohoIDs: [String],
        zohoChanges: [String: ZohoChange] = [:],
        listed: [String: JSONValue] = [:],
        matchInZoho: Bool = true,
        job: Job,
        report: Report
    ) async throws -> Report {
        try await lock.run(Self.lockName(instance, m)) {
            var r = report
            try await sync(
                m,
                instance: instance,
                odooIDs: odooIDs,
                zohoIDs: zohoIDs,
                zohoChanges: zohoChanges,
                listed: listed,
                matchInZoho: matchInZoho,
                job: job,
                report: &r
            )
            return r
        }
    }

    /// The lock a mapping's passes hold, across every sidecar on the database.
    static func lockName(_ instance: Instance, _ m: Mapping) -> String { "sync:\(instance.id):\(m.name)" }

    /// A push's or pull's records, synced in the mapping's next pass together with those of the other
    /// jobs waiting for it (`SharedPasses`); alone when that pass fails.
    func syncShared(_ m: Mapping, instance: Instance, _ work: SharedPasses.Work, job: Job) async throws -> Report {
        let name = Self.lockName(instance, m)
        switch await passes.join(name, work) {
        case .served(let report):
            return report
        case .alone:
            return try await lock.run(name) { try await pass(m, instance: instance, work, job: job) }
        case .lead(let id):
            do {
                let report = try await lock.run(name) {
                    try await pass(m, instance: instance, await passes.start(name, id) ?? work, job: job)
                }
                await passes.finish(name, id, report)
                return report
            } catch {
                await passes.finish(name, id, nil)
                throw error
            }
        }
    }

    /// One pass over a share's records; the caller holds the mapping's lock.
    func pass(_ m: Mapping, instance: Instance, _ work: SharedPasses.Work, job: Job) async throws -> Report {
        var report = Report()
        try await sync(
            m,
            instance: instance,
            odooIDs: work.odooIDs,
            zohoIDs: work.zohoIDs,
            zohoChanges: work.zohoChanges,
            job: job,
            report: &report
        )
        return report
    }

    func requireInstance(_ job: Job) async throws -> Instance {
        guard let id = job.instanceID, let instance = try await zoho.instances.load(id) else {
            throw JobError(.permanent, "job \(job.id) names no existing instance")
        }
        return instance
    }

    struct Report: Sendable, Codable {
        var created = 0, updated = 0, deleted = 0, unchanged = 0, echoes = 0, restored = 0, failed: [String] = []
        var json: JSONValue {
            [
                "created": .int(Int64(created)), "updated": .int(Int64(updated)), "deleted": .int(Int64(deleted)), "echoes": .int(Int64(echoes)),
                "restored": .int(Int64(restored)),
                "unchanged": .int(Int64(unchanged)), "failed": .array(failed.map { .string($0) }),
            ]
        }

        mutating func add(_ other: Report) {
            created += other.created
            updated += other.updated
            deleted += other.deleted
            unchanged += other.unchanged
            echoes += other.echoes
            restored += other.restored
            failed += other.failed
        }
    }

    /// One pair per record named on either side: bound partners found, unbound ones matched or created,
    /// deletions carried over per the mapping, then the writes each side needs, in batches.
    func sync(
        _ m: Mapping,
        instance: Instance,
        odooIDs: [Int64],
        zohoIDs: [String],
        zohoChanges: [String: ZohoChange] = [:],
        listed: [String: JSONValue] = [:],
        matchInZoho: Bool = true,
        job: Job,
        report: inout Report,
        referencesFirst: Bool = true
    ) async throws {
        let client = try await odoo.client(for: instance.id)
        let zohoAPI = ZohoRecords(client: zoho.client, instanceID: instance.id)
        let company: JSONValue = ["|", ["company_id", "=", false], ["company_id", "=", .int(instance.companyID)]]
        let inactiveToo: [String: JSONValue] = ["active_test": false]
        // Records refused as duplicates of one of these Zoho records: its change may let them through.
        let unblocked = try await rejections.blockedBy(instance.id, m, zohoIDs: zohoIDs)
        let odooIDs = Array(Set(odooIDs + unblocked.odoo)).sorted()
        let zohoIDs = Array(Set(zohoIDs + unblocked.zoho)).sorted()

        // Everything bound to what was named.
        var byOdoo = try await bindings.byOdoo(instance.id, m, odooIDs)
        var byZoho = try await bindings.byZoho(instance.id, m, zohoIDs)
        for b in byOdoo.values { byZoho[b.zohoID] = b }
        for b in byZoho.values { byOdoo[b.odooID] = b }
        let allOdooIDs = Array(Set(odooIDs + byZoho.values.map(\.odooID))).sorted()
        let allZohoIDs = Array(Set(zohoIDs + byOdoo.values.map(\.zohoID))).sorted()

        // Both sides as they are now: Zoho first (its calls may wait for the rate limiter), then Odoo, so
        // the two reads are as close in time as they can be.
        let readStarted = Clock.now() / 1000
        // Records a listing just returned whole are not read again, one call each.
        var zohoRecords = listed.filter { allZohoIDs.contains($0.key) }
        zohoRecords.merge(try await zohoAPI.fetch(m, allZohoIDs.filter { zohoRecords[$0] == nil })) { _, fetched in fetched }
        var odooRecords: [Int64: JSONValue] = [:]
        for chunk in allOdooIDs.chunked(500) {
            let domain: JSONValue = .array(
                [["id", "in", .array(chunk.map { .int($0) })]] + (m.odooDomain.arrayValue ?? []) + (company.arrayValue ?? [])
            )
            for r in try await client.searchRead(m.odooModel, domain: domain, fields: m.odooFields, context: inactiveToo) {
                if let id = r["id"]?.intValue { odooRecords[id] = r }
            }
        }
        // Companies these records point to and that are not linked yet go first; then this pass starts
        // again, once, from fresh reads, so nothing it decides rests on a read made before that work.
        if referencesFirst,
            try await syncReferenced(
                m,
                instance: instance,
                client: client,
                odoo: Array(odooRecords.values),
                zoho: Array(zohoRecords.values),
                job: job,
                report: &report
            )
        {
            try await sync(
                m,
                instance: instance,
                odooIDs: odooIDs,
                zohoIDs: zohoIDs,
                zohoChanges: zohoChanges,
                job: job,
                report: &report,
                referencesFirst: false
            )
            return
        }
        let missingInOdoo = allOdooIDs.filter { odooRecords[$0] == nil }
        let existingElsewhere =
            missingInOdoo.isEmpty
            ? []
            : Set(
                try await client.call(
                    m.odooModel,
                    "search",
                    [[["id", "in", .array(missingInOdoo.map { .int($0) })]]],
                    ["context": .object(inactiveToo)]
                ).arrayValue?.compactMap(\.intValue) ?? []
            )

        // Deletions: a bound record gone on one side.
        for id in missingInOdoo where !existingElsewhere.contains(id) {
            guard let b = byOdoo[id] else { continue }
            if m.onOdooDelete == "delete", zohoRecords[b.zohoID] != nil {
                try await zohoAPI.delete(m, [b.zohoID])
                report.deleted += 1
            }
            zohoRecords[b.zohoID] = nil
            try await bindings.remove(b.id)
            byOdoo[id] = nil
            byZoho[b.zohoID] = nil
        }
        for zid in allZohoIDs where zohoRecords[zid] == nil {
            guard let b = byZoho[zid] else { continue }
            if let record = odooRecords[b.odooID] {
                switch m.onZohoDelete {
                case "archive" where record["active"]?.boolValue != false:
                    try await client.write(m.odooModel, [b.odooID], ["active": false])
                    report.deleted += 1
                case "delete":
                    try await client.unlink(m.odooModel, [b.odooID])
                    report.deleted += 1
                default: break
                }
            }
            odooRecords[b.odooID] = nil
            try await bindings.remove(b.id)
            byOdoo[b.odooID] = nil
            byZoho[zid] = nil
        }

        // First linking by the match key, so an existing record is bound rather than duplicated.
        let unboundKeys = odooRecords.filter { byOdoo[$0.key] == nil && $0.value["active"]?.boolValue != false }
            .compactMap { id, r in Values.empty(r[m.matchOdoo] ?? .null).stringValue.map { (id, $0) } }
        // A full reconciliation lists every Zoho record before Odoo's side: nothing left unbound can match.
        let matches = matchInZoho ? try await zohoAPI.match(m, Array(Set(unboundKeys.map(\.1)))) : [:]
        // A Zoho record linked to another Odoo record is not linked again (that would unlink the other):
        // this one is created, and Zoho's refusal of the duplicate names the record holding the value.
        let linkedElsewhere = try await bindings.byZoho(instance.id, m, matches.values.compactMap { Self.zohoID($0, m) })
        var heldBy: [Int64: String] = [:]
        for (id, key) in unboundKeys.sorted(by: { $0.0 < $1.0 }) {
            guard let found = matches[key.lowercased()], let zid = Self.zohoID(found, m) else { continue }
            guard byZoho[zid] == nil, linkedElsewhere[zid] == nil else {
                heldBy[id] = zid
                continue
            }
            zohoRecords[zid] = found
            let b = try await bindings.set(
                instanceID: instance.id,
                companyID: instance.companyID,
                m,
                odooID: id,
                zohoID: zid,
                hash: nil,
                direction: "match",
                zohoModifiedTime: nil,
                odooWriteDate: nil
            )
            byOdoo[id] = b
            byZoho[zid] = b
        }
        // And from Zoho's side: one Odoo search for every key, each key taking the record Odoo lists first,
        // as a search for it alone would (a search per record made a slice cost a hundred calls).
        let unboundZoho = zohoRecords.filter { byZoho[$0.key] == nil }
            .compactMap { zid, r in Values.empty(r[m.matchZoho] ?? .null).stringValue.map { (zid, $0) } }
            .sorted { $0.0 < $1.0 }
        var firstByKey: [String: JSONValue] = [:]
        for chunk in Set(unboundZoho.map(\.1)).sorted().chunked(500) {
            let domain: JSONValue = .array(
                [[.string(m.matchOdoo), "in", .array(chunk.map { .string($0) })]] + (m.odooDomain.arrayValue ?? [])
                    + (company.arrayValue ?? [])
            )
            for r in try await client.searchRead(m.odooModel, domain: domain, fields: m.odooFields) {
                if let key = r[m.matchOdoo]?.stringValue, firstByKey[key] == nil { firstByKey[key] = r }
            }
        }
        for (zid, key) in unboundZoho {
            guard let found = firstByKey[key], let id = found["id"]?.intValue, byOdoo[id] == nil else { continue }
            odooRecords[id] = found
            let b = try await bindings.set(
                instanceID: instance.id,
                companyID: instance.companyID,
                m,
                odooID: id,
                zohoID: zid,
                hash: nil,
                direction: "match",
                zohoModifiedTime: nil,
                odooWriteDate: nil
            )
            byOdoo[id] = b
            byZoho[zid] = b
        }

        let lookups = try await self.lookups(m, instance: instance, client: client, odoo: Array(odooRecords.values), zoho: Array(zohoRecords.values))

        // Decide every pair.
        var zohoCreates: [(odooID: Int64, values: [String: JSONValue], decision: Decision)] = []
        var zohoUpdates: [(binding: Binding, values: [String: JSONValue], decision: Decision)] = []
        var odooCreates: [(zohoID: String, decision: Decision)] = []
        var odooWrites: [(binding: Binding, decision: Decision)] = []
        var settled: [(binding: Binding, decision: Decision)] = []
        var deferred: [String] = []
        // Records holding a value their pairs cannot convert: each fails alone, the others go on.
        var unconverted: [Rejection] = []
        for (id, record) in odooRecords where byOdoo[id] == nil {
            // An archived record that was never synced stays out of Zoho.
            guard record["active"]?.boolValue != false else { continue }
            do throws(ConversionError) {
                let d = try Reconciler.decide(m.forRecord(record), odoo: record, zoho: nil, binding: nil, lookups: lookups)
                zohoCreates.append((id, d.zoho, d))
            } catch {
                unconverted.append(await rejectUnconvertible(error, m, instance: instance, job: job, odooID: id, zohoID: nil, report: &report))
            }
        }
        for (zid, record) in zohoRecords where byZoho[zid] == nil {
            do throws(ConversionError) {
                let whole = try Reconciler.decide(m, odoo: nil, zoho: record, binding: nil, lookups: lookups)
                let own = m.forRecord(.object(whole.odoo))
                let d = own == m ? whole : try Reconciler.decide(own, odoo: nil, zoho: record, binding: nil, lookups: lookups)
                odooCreates.append((zid, d))
            } catch {
                unconverted.append(await rejectUnconvertible(error, m, instance: instance, job: job, odooID: nil, zohoID: zid, report: &report))
            }
        }
        // Bound pairs with both records still there.
        let pairs = byOdoo.values.compactMap { b -> (binding: Binding, odoo: JSONValue, zoho: JSONValue)? in
            guard let o = odooRecords[b.odooID], let z = zohoRecords[b.zohoID] else { return nil }
            return (b, o, z)
        }
        var clocks = try await FieldClocks.load(store, instanceID: instance.id, m, Array(byOdoo.values))
        let dated = await timelineReports(m, instance: instance, pairs: pairs, clocks: clocks, zohoChanges: zohoChanges, lookups: lookups)
        if !dated.isEmpty {
            try await FieldClock.record(dated, store)
            clocks = try await FieldClocks.load(store, instanceID: instance.id, m, Array(byOdoo.values))
        }
        var unreported: [FieldChange] = []
        for (b, o, z) in pairs {
            let m = m.forRecord(o)
            unreported += clocks.unreported(m, b, odoo: o, zoho: z, instanceID: instance.id, readAt: readStarted)
            // The origin stamp: Zoho still shows the Modified_Time of the sidecar's own last write, so this
            // is (at most) that write coming back. Counted, but the values still decide: times have only
            // second precision, and a person's edit in the same second must not be lost.
            if let stamp = b.zohoModifiedTime, stamp == Self.modifiedTime(z) { report.echoes += 1 }
            let view: AsLeft
            var d: Decision
            do throws(ConversionError) {
                view = try clocks.asLeft(m, b, odoo: o, zoho: z, change: zohoChanges[b.zohoID], lookups: lookups)
                d = try Reconciler.decide(m, odoo: view.odoo, zoho: view.zoho, binding: b, lookups: lookups, times: view.times)
            } catch {
                unconverted.append(
                    await rejectUnconvertible(error, m, instance: instance, job: job, odooID: b.odooID, zohoID: b.zohoID, report: &report)
                )
                continue
            }
            report.restored += view.restoreOdoo.count + view.restoreZoho.count
            d.zoho.merge(view.restoreZoho) { decided, _ in decided }
            d.odoo.merge(view.restoreOdoo) { decided, _ in decided }
            if logger.logLevel <= .debug, !d.zoho.isEmpty || !d.odoo.isEmpty || !d.deferred.isEmpty { trace(m, b, view, d, job: job) }
            if !d.zoho.isEmpty { zohoUpdates.append((b, d.zoho, d)) }
            if !d.odoo.isEmpty { odooWrites.append((b, d)) }
            if d.zoho.isEmpty, d.odoo.isEmpty { settled.append((b, d)) }
            if !d.deferred.isEmpty { deferred.append(b.zohoID) }
        }
        // Conflicts left for the reports to date: this pair is synced again once they can have come (its
        // callback's pull, if it comes, does so sooner). One such job per record at a time.
        let followUp = Clock.now() + Int64((Reconciler.reportGraceSeconds + 1) * 1e6)
        _ = try await JobQueue.insert(
            deferred.map {
                NewJob(
                    kind: SyncJobs.pull,
                    payload: PullRequest(app: m.app, object: m.object, ids: [$0], operation: "update", source: "deferred").json,
                    companyID: instance.companyID,
                    instanceID: instance.id,
                    eta: followUp,
                    identityKey: "deferred:\(instance.id):\(m.name):\($0)"
                )
            },
            store
        )

        try await FieldClock.record(unreported, store)

        // Zoho first, in batches: each record's result applies to it alone.
        var writtenZoho: [Int64: String] = [:]  // binding id → Modified_Time
        var failedBindings = Set<Int64>()
        var rejected = unconverted
        var notWritten: (odoo: Set<Int64>, zoho: Set<String>) = ([], [])
        var ownWrites: [FieldChange] = []
        let created = try await zohoAPI.create(m, zohoCreates.map(\.values))
        // Records not written because the app reached its limit: the rest of the pass completes (what was
        // written gets its binding), then the job waits for the limit with them.
        var waiting = created.lazy.compactMap(\.waiting).first
        var createdInZoho: [Bindings.Link] = []
        for (c, r) in zip(zohoCreates, created) {
            guard r.waiting == nil else {
                notWritten.odoo.insert(c.odooID)
                continue
            }
            guard let zid = r.id, r.refusal == nil else {
                let refusal = r.refusal ?? .noResult
                rejected.append(
                    Rejection(
                        odooID: c.odooID,
                        rejectedBy: .zoho,
                        operation: "create",
                        refusal: refusal,
                        blockingZohoID: refusal.duplicateID ?? (refusal.code == "DUPLICATE_DATA" ? heldBy[c.odooID] : nil)
                    )
                )
                report.failed.append("\(m.odooModel),\(c.odooID) → \(m.object): \(refusal.message)")
                await log.write(
                    .error,
                    "\(m.name): Odoo \(m.odooModel) \(c.odooID) could not be created in Zoho: \(refusal.message)",
                    companyID: instance.companyID,
                    instanceID: instance.id,
                    jobID: job.id,
                    source: "sync"
                )
                continue
            }
            createdInZoho.append(
                Bindings.Link(
                    odooID: c.odooID,
                    zohoID: zid,
                    hash: c.decision.hash,
                    values: c.decision.agreed,
                    direction: "push",
                    zohoModifiedTime: r.modifiedTime,
                    odooWriteDate: odooRecords[c.odooID]?["write_date"]?.stringValue
                )
            )
            report.created += 1
        }
        try await bindings.set(instanceID: instance.id, companyID: instance.companyID, m, createdInZoho)
        // What the sidecar writes to Zoho and on which read it was decided, to recognise a person's edit it overwrote.
        func windows(_ u: (binding: Binding, values: [String: JSONValue], decision: Decision), written: Micros) -> [FieldChange] {
            guard let read = zohoRecords[u.binding.zohoID].flatMap(Self.modifiedTime).flatMap(Clock.parseOdoo) else { return [] }
            return u.values.map { field, value in
                FieldChange(
                    instanceID: instance.id,
                    side: .zohoWrite,
                    object: m.object,
                    recordID: u.binding.zohoID,
                    field: field,
                    time: written / 1000,
                    readAt: read / 1000,
                    fingerprint: FieldClock.fingerprint(zohoRecords[u.binding.zohoID]?[field]),
                    writtenFingerprint: FieldClock.fingerprint(value)
                )
            }
        }
        let updated: [RecordResult]
        do {
            updated = try await zohoAPI.update(m, zohoUpdates.map { ($0.binding.zohoID, $0.values) })
        } catch {
            // Zoho may have applied the writes before the failure (a dropped connection): their windows count.
            try? await FieldClock.record(zohoUpdates.flatMap { windows($0, written: Clock.now()) }, store)
            throw error
        }
        waiting = waiting ?? updated.lazy.compactMap(\.waiting).first
        for (u, r) in zip(zohoUpdates, updated) {
            if r.waiting != nil {
                failedBindings.insert(u.binding.id)
                notWritten.odoo.insert(u.binding.odooID)
                notWritten.zoho.insert(u.binding.zohoID)
                continue
            }
            if let refusal = r.refusal {
                failedBindings.insert(u.binding.id)
                rejected.append(
                    Rejection(
                        odooID: u.binding.odooID,
                        zohoID: u.binding.zohoID,
                        rejectedBy: .zoho,
                        operation: "update",
                        refusal: refusal,
                        blockingZohoID: refusal.duplicateID
                    )
                )
                report.failed.append("\(m.odooModel),\(u.binding.odooID) → \(m.object) \(u.binding.zohoID): \(refusal.message)")
                await log.write(
                    .error,
                    "\(m.name): Zoho \(m.object) \(u.binding.zohoID) could not be updated: \(refusal.message)",
                    companyID: instance.companyID,
                    instanceID: instance.id,
                    jobID: job.id,
                    source: "sync"
                )
                continue
            }
            writtenZoho[u.binding.id] = r.modifiedTime ?? ""
            ownWrites += windows(u, written: r.modifiedTime.flatMap(Clock.parseOdoo) ?? Clock.now())
            report.updated += 1
        }
        try await FieldClock.record(ownWrites, store)

        // Then Odoo, with zoho_skip_push so it does not send the change back.
        var odooIDsWritten: [Int64] = []
        var createdInOdoo: [Binding] = []
        if !odooCreates.isEmpty {
            let (made, refused) = try await createInOdoo(m, odooCreates, client: client)
            for (c, fault) in refused {
                rejected.append(Rejection(zohoID: c.zohoID, rejectedBy: .odoo, operation: "create", refusal: .odoo(fault)))
                report.failed.append("\(m.object) \(c.zohoID) → \(m.odooModel): \(fault.message)")
                await log.write(
                    .error,
                    "\(m.name): Zoho \(m.object) \(c.zohoID) could not be created in Odoo: \(fault.message)",
                    companyID: instance.companyID,
                    instanceID: instance.id,
                    jobID: job.id,
                    source: "sync"
                )
            }
            let links = made.map { c, id in
                Bindings.Link(
                    odooID: id,
                    zohoID: c.zohoID,
                    hash: c.decision.hash,
                    values: c.decision.agreed,
                    direction: "pull",
                    zohoModifiedTime: zohoRecords[c.zohoID].flatMap(Self.modifiedTime),
                    odooWriteDate: nil
                )
            }
            createdInOdoo = try await bindings.set(instanceID: instance.id, companyID: instance.companyID, m, links)
            odooIDsWritten += links.map(\.odooID)
            report.created += links.count
        }
        // A record whose Zoho write waits for a limit waits whole: written on one side only, its binding
        // would keep values neither side holds, and the next pass would take the written side for a newer edit.
        odooWrites.removeAll { notWritten.zoho.contains($0.binding.zohoID) }
        // A person may have edited Odoo since it was read (the Zoho writes above take time). Fields they changed
        // are left as they are, so an older value never overwrites a newer one.
        let reread = Clock.now() / 1000
        if !odooWrites.isEmpty {
            let fresh = try await client.read(m.odooModel, odooWrites.map(\.binding.odooID), fields: m.odooFields, context: inactiveToo)
            let now = Dictionary(fresh.compactMap { r in r["id"]?.intValue.map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
            for i in odooWrites.indices {
                let id = odooWrites[i].binding.odooID
                guard let current = now[id], let before = odooRecords[id] else { continue }
                // The field stays as the pair last agreed it: both sides changed it, for the next sync to decide.
                for field in odooWrites[i].decision.odoo.keys where current[field] != before[field] {
                    odooWrites[i].decision.odoo[field] = nil
                    odooWrites[i].decision.agreed[field] = odooWrites[i].binding.syncValues?[field]
                }
            }
        }
        var ownOdooWrites: [FieldChange] = []
        for w in odooWrites where !w.decision.odoo.isEmpty {
            do {
                try await client.write(m.odooModel, [w.binding.odooID], w.decision.odoo)
                let written = Clock.now() / 1000
                ownOdooWrites += w.decision.odoo.map { field, value in
                    FieldChange(
                        instanceID: instance.id,
                        side: .odooWrite,
                        object: m.odooModel,
                        recordID: String(w.binding.odooID),
                        field: field,
                        time: written,
                        readAt: reread,
                        fingerprint: FieldClock.fingerprint(odooRecords[w.binding.odooID]?[field]),
                        writtenFingerprint: FieldClock.fingerprint(value)
                    )
                }
                odooIDsWritten.append(w.binding.odooID)
                report.updated += 1
            } catch let fault as OdooFault {
                failedBindings.insert(w.binding.id)
                rejected.append(
                    Rejection(odooID: w.binding.odooID, zohoID: w.binding.zohoID, rejectedBy: .odoo, operation: "update", refusal: .odoo(fault))
                )
                report.failed.append("\(m.object) \(w.binding.zohoID) → \(m.odooModel),\(w.binding.odooID): \(fault.message)")
                await log.write(
                    .error,
                    "\(m.name): Odoo \(m.odooModel) \(w.binding.odooID) could not be written: \(fault.message)",
                    companyID: instance.companyID,
                    instanceID: instance.id,
                    jobID: job.id,
                    source: "sync"
                )
            }
        }
        try await FieldClock.record(ownOdooWrites, store)
        // Odoo's new write_dates, for the origin stamp.
        var writeDates: [Int64: String] = [:]
        for r in try await client.read(m.odooModel, Array(Set(odooIDsWritten)), fields: ["write_date"], context: inactiveToo) {
            if let id = r["id"]?.intValue, let date = r["write_date"]?.stringValue { writeDates[id] = date }
        }
        // Records created in Odoo get theirs here; written ones below, with their agreed state.
        for b in createdInOdoo {
            guard let date = writeDates[b.odooID] else { continue }
            try await bindings.update(b.id, hash: nil, direction: nil, zohoModifiedTime: nil, odooWriteDate: date)
        }
        // Agreed state onto each binding that was decided.
        for (b, d) in zohoUpdates.map({ ($0.binding, $0.decision) }) + odooWrites.map({ ($0.binding, $0.decision) }) + settled {
            guard !failedBindings.contains(b.id) else { continue }
            try await bindings.update(
                b.id,
                hash: d.hash,
                values: d.agreed,
                direction: d.direction,
                zohoModifiedTime: writtenZoho[b.id].flatMap { $0.isEmpty ? nil : $0 } ?? zohoRecords[b.zohoID].flatMap(Self.modifiedTime),
                odooWriteDate: writeDates[b.odooID] ?? odooRecords[b.odooID]?["write_date"]?.stringValue
            )
            if d.zoho.isEmpty, d.odoo.isEmpty { report.unchanged += 1 }
        }
        // Records that waited for a limit were neither refused nor synced: their entries stay as they were.
        try await rejections.settle(
            instanceID: instance.id,
            companyID: instance.companyID,
            m,
            odooIDs: Set(allOdooIDs + odooRecords.keys).subtracting(notWritten.odoo),
            zohoIDs: Set(allZohoIDs + zohoRecords.keys).subtracting(notWritten.zoho),
            rejected: rejected
        )
        if let waiting { throw waiting }
    }

    /// A Zoho record's id: CRM's `id`, Books' `<entity>_id`.
    static func zohoID(_ record: JSONValue, _ m: Mapping) -> String? {
        record["id"]?.stringValue ?? record["\(m.object)_id"]?.stringValue
    }

    func trace(_ m: Mapping, _ b: Binding, _ view: AsLeft, _ d: Decision, job: Job) {
        // Field values are people's data: the trace shows a digest, enough to see which values are
        // equal, never the value itself.
        func show(_ v: JSONValue?) -> String {
            guard let v else { return "-" }
            return v.isNull ? "empty" : "#" + String(SHA256.hash(data: v.serializedBytes()).hex.prefix(8))
        }
        func time(_ v: JSONValue?) -> String { v?.stringValue ?? "-" }
        for p in m.fields where d.odoo[p.odoo] != nil || p.zoho.contains(where: { d.zoho[$0] != nil }) || d.deferred.contains(p.odoo) {
            let toZoho = p.zoho.contains { d.zoho[$0] != nil }
            let what =
                d.deferred.contains(p.odoo)
                ? "deferred until its change is reported"
                : toZoho ? "to Zoho " + show(p.zoho.first.flatMap { d.zoho[$0] }) : "to Odoo " + show(d.odoo[p.odoo])
            logger.debug(
                """
                \(m.name) odoo \(b.odooID) zoho \(b.zohoID) \(p.odoo): \(what); \
                odoo \(show(view.odoo[p.odoo])) at \(view.times.odoo[p.odoo].map(String.init) ?? "-"), \
                zoho \(p.zoho.map { show(view.zoho[$0]) }.joined(separator: "+")) at \(p.zoho.compactMap { view.times.zoho[$0] }.max().map(String.init) ?? "-"), \
                agreed \(show(b.syncValues?[p.odoo])), odoo write_date \(time(view.odoo["write_date"])), zoho modified \(time(view.zoho["Modified_Time"])), \
                restored \(view.restoreOdoo[p.odoo] != nil ? "odoo" : p.zoho.contains { view.restoreZoho[$0] != nil } ? "zoho" : "no"), job \(job.id)
                """
            )
        }
    }

    /// A Zoho record's last change: CRM's Modified_Time, Books' last_modified_time.
    static func modifiedTime(_ record: JSONValue) -> String? {
        (record["Modified_Time"] ?? record["last_modified_time"])?.stringValue
    }

    /// Records these ones point to through a lookup (a contact's company) and that are not linked yet:
    /// synced first, in this job, so the contact is written with its company instead of without it
    /// until a later pass. Their mapping never looks back at this one, so the locks cannot cross.
    /// True when there was such work.
    func syncReferenced(
        _ m: Mapping,
        instance: Instance,
        client: OdooClient,
        odoo: [JSONValue],
        zoho: [JSONValue],
        job: Job,
        report: inout Report
    ) async throws -> Bool {
        var synced = false
        // The job read the instance's mappings as it began: what it read will do.
        let mappings = try await book.recent(instance.id)
        for p in m.fields {
            guard case .lookup(let other) = p.transform, let target = mappings.named(other),
                target.name != m.name, instance.apps.contains(target.app)
            else { continue }
            let odooRefs = Array(Set(odoo.compactMap { $0[p.odoo]?.arrayValue?.first?.intValue }))
            let zohoRefs = Array(Set(zoho.compactMap { r in r[p.zoho[0]].flatMap { $0["id"]?.stringValue ?? $0.stringValue } }))
            let linkedOdoo = try await bindings.byOdoo(instance.id, target, odooRefs)
            let linkedZoho = try await bindings.byZoho(instance.id, target, zohoRefs)
            let odooIDs = odooRefs.filter { linkedOdoo[$0] == nil }
            let zohoIDs = zohoRefs.filter { linkedZoho[$0] == nil }
            guard !odooIDs.isEmpty || !zohoIDs.isEmpty else { continue }
            let fitted = try await fitted(target, client: client)
            report = try await syncLocked(fitted, instance: instance, odooIDs: odooIDs, zohoIDs: zohoIDs, job: job, report: report)
            synced = true
        }
        return synced
    }

    /// Countries, the bindings that lookups need, and the Odoo records and users other pairs name, for the records at hand.
    func lookups(_ m: Mapping, instance: Instance, client: OdooClient, odoo: [JSONValue], zoho: [JSONValue]) async throws -> Lookups {
        var l = Lookups()
        if m.fields.contains(where: { $0.transform == .country }) {
            for c in try await client.referenceData("res.country", fields: ["name", "code"]) {
                guard let id = c["id"]?.intValue, let name = c["name"]?.stringValue else { continue }
                l.countryName[id] = name
                l.countryID[name.lowercased()] = id
                if let code = c["code"]?.stringValue { l.countryID[code.lowercased()] = id }
            }
        }
        let mappings = try await book.recent(instance.id)
        for p in m.fields {
            guard case .lookup(let other) = p.transform, let target = mappings.named(other) else { continue }
            let odooRefs = odoo.compactMap { $0[p.odoo]?.arrayValue?.first?.intValue }
            let zohoRefs = zoho.compactMap { r in r[p.zoho[0]].flatMap { $0["id"]?.stringValue ?? $0.stringValue } }
            let found =
                Array(try await bindings.byOdoo(instance.id, target, odooRefs).values)
                + Array(try await bindings.byZoho(instance.id, target, zohoRefs).values)
            for b in found {
                l.zohoIDs[other, default: [:]][b.odooID] = b.zohoID
                l.odooIDs[other, default: [:]][b.zohoID] = b.odooID
            }
        }
        try await resolveReferences(m, instance: instance, client: client, odoo: odoo, zoho: zoho, into: &l)
        return l
    }
}
