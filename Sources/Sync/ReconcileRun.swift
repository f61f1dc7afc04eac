import Core
import Foundation
import OdooRPC
import Queue
import Store
import ZohoAPI

/// One reconciliation of a mapping: Zoho's changed records page by page, each page synced before the
/// next is read, then Odoo's changed records not already synced from Zoho's side, in slices. The place
/// is saved after every slice; a run that meets a limit, or has had its worker for `budgetSeconds`,
/// stops there and the next attempt goes on from it.
struct ReconcileRun {
    let engine: SyncEngine
    let m: Mapping
    let instance: Instance
    let client: OdooClient
    let cursors: SyncCursors
    let job: Job
    let full: Bool
    let started = ContinuousClock.now

    /// Well inside a reconcile job's timeout (max_runtime_seconds, 300 s by default), with room for the
    /// slice under way to finish.
    static let budgetSeconds = 120.0

    /// Records per slice: a Books record may cost a call of its own, so its slices are smaller.
    var slice: Int { m.app == "books" ? 50 : SyncJobs.batchLimit }

    var zohoAPI: ZohoRecords { ZohoRecords(client: engine.zoho.client, instanceID: instance.id) }

    func run() async throws -> JSONValue {
        let saved = try await ReconcilePlace.load(cursors, full: full)
        var place = if let saved { saved } else { try await fresh() }
        do {
            if place.phase == .zoho {
                try await zohoSide(&place)
                try await startOdooSide(&place)
            }
            // An attempt that stopped in Odoo's side may have created its slice's records in Zoho without
            // their bindings (killed, or the store failed): that slice is matched in Zoho again.
            try await odooSide(&place, resumed: saved?.phase == .odoo)
        } catch let stop as Stop {
            return ["skipped": .string(stop.reason)]
        } catch let error as ZohoError where error.isLimited {
            try await engine.progress(instance.id, m, done: place.done, total: place.total, state: "waiting", note: error.message)
            throw error
        }
        // Cursors move only after the work is done: a crash repeats the window instead of skipping it.
        if let high = place.zohoHigh { try await cursors.set("zoho", high) }
        if let high = place.odooHigh { try await cursors.set("odoo", high) }
        if full { try await cursors.set("initial", Clock.odooString(Clock.now())) }
        try await cursors.clear(ReconcilePlace.side)
        try await engine.progress(instance.id, m, done: place.done, total: place.done, state: "done")
        return place.report.json
    }

    /// A new run: how many Odoo records it expects, for the progress shown before Odoo's side starts.
    func fresh() async throws -> ReconcilePlace {
        var place = ReconcilePlace(full: full)
        place.odooEstimate = Int(try await client.call(m.odooModel, "search_count", [odooDomain(since: odooSince())], inactiveToo).intValue ?? 0)
        try await engine.progress(instance.id, m, done: 0, total: place.total, state: "running")
        return place
    }

    // MARK: Zoho's side

    func zohoSide(_ place: inout ReconcilePlace) async throws {
        let since = full ? nil : try await cursors.get("zoho")
        if let since, !place.deletionsDone {
            let gone = try await zohoAPI.deleted(m, since: since)
            place.listed += gone.count
            for chunk in gone.chunked(slice) { try await syncZoho(Array(chunk), listed: [:], &place) }
            place.deletionsDone = true
            try await save(place)
        }
        if m.app == "crm" {
            try await crmPages(since: since, &place)
        } else {
            try await booksPages(since: since, &place)
        }
    }

    func crmPages(since: String?, _ place: inout ReconcilePlace) async throws {
        // The same question for every page of this run (its page tokens belong to it); a later run asks from where this one got.
        let from = place.crmSince ?? since
        var token: String?
        repeat {
            let page = try await zohoAPI.crmPage(m, since: from, pageToken: token)
            place.listed += page.ids.count
            for start in stride(from: 0, to: page.ids.count, by: slice) {
                let range = start..<min(start + slice, page.ids.count)
                try await syncZoho(Array(page.ids[range]), listed: [:], &place)
                if let last = page.times[range].last.flatMap({ $0 }) {
                    // One second back: Modified_Time has second precision, and a record of the same second must not be skipped.
                    place.crmSince = Clock.parseOdoo(last).map { Self.crmTime($0 - 1_000_000) } ?? place.crmSince
                }
                for t in page.times[range].compactMap({ $0 }) { place.zohoHigh = Self.later(place.zohoHigh, t, crm: true) }
                try await checkpoint(place)
            }
            token = page.nextPageToken
        } while token != nil
    }

    func booksPages(since: String?, _ place: inout ReconcilePlace) async throws {
        while true {
            let page = try await zohoAPI.booksPage(m, page: place.page, since: since)
            let todo = Array(page.ids.dropFirst(place.skip))
            // Counted once per page, when the page is first read.
            if place.skip == 0 { place.listed += page.ids.count }
            for t in page.times.compactMap({ $0 }) { place.zohoHigh = Self.later(place.zohoHigh, t, crm: false) }
            for chunk in todo.chunked(slice) {
                try await syncZoho(Array(chunk), listed: page.records, &place)
                place.skip += chunk.count
                try await checkpoint(place)
            }
            guard page.more else { return }
            place.page += 1
            place.skip = 0
            try await save(place)
        }
    }

    /// Syncs Zoho records, and notes the Odoo records they are bound to, which Odoo's side then leaves out.
    func syncZoho(_ ids: [String], listed: [String: JSONValue], _ place: inout ReconcilePlace) async throws {
        place.report = try await engine.syncLocked(m, instance: instance, odooIDs: [], zohoIDs: ids, listed: listed, job: job, report: place.report)
        place.handled += try await engine.bindings.byZoho(instance.id, m, ids).values.map(\.odooID)
        place.done += ids.count
    }

    // MARK: Odoo's side

    /// Odoo's records to sync, read once (ids only, in one search: Odoo is local and cheap): changed since
    /// the cursor, and bound ones that vanished, less those Zoho's side synced. The newest change is read
    /// first, so a record written between the two reads is either listed or newer than the saved cursor.
    func startOdooSide(_ place: inout ReconcilePlace) async throws {
        let since = try await odooSince()
        let domain = odooDomain(since: since)
        let newest = try await client.searchRead(
            m.odooModel,
            domain: domain,
            fields: ["write_date"],
            limit: 1,
            order: "write_date desc, id desc",
            context: ["active_test": false]
        )
        let found = try await client.call(m.odooModel, "search", [domain], ["order": "id", "context": ["active_test": false]])
        let ids = found.arrayValue?.compactMap(\.intValue) ?? []
        let handled = Set(place.handled)
        let vanished = try await engine.vanishedOdooRecords(m, instance: instance, client: client)
        place.odooWork = Array(Set(ids + vanished)).filter { !handled.contains($0) }.sorted()
        place.odooHigh = newest.first?["write_date"]?.stringValue ?? since
        place.phase = .odoo
        place.handled = []
        try await save(place)
    }

    func odooSide(_ place: inout ReconcilePlace, resumed: Bool) async throws {
        let work = place.odooWork ?? []
        for (n, chunk) in Array(work.dropFirst(place.odooDone)).chunked(slice).enumerated() {
            let settled = Set(place.settled)
            let ids = chunk.filter { !settled.contains($0) }
            let boundBefore = Set(try await engine.bindings.byOdoo(instance.id, m, ids).keys)
            do {
                // A full run has listed and bound every Zoho record already: an Odoo record still unbound has
                // no match there, and searching would cost Books a call per record and CRM one per ten, to
                // find none. One made in Zoho since comes with its callback, and is matched in Odoo then.
                place.report = try await engine.syncLocked(
                    m,
                    instance: instance,
                    odooIDs: ids,
                    zohoIDs: [],
                    matchInZoho: !full || (resumed && n == 0),
                    job: job,
                    report: place.report
                )
            } catch let error as ZohoError where error.isLimited {
                // Records created in Zoho before the limit are done: the slice goes on without them.
                let boundNow = try await engine.bindings.byOdoo(instance.id, m, ids).keys
                place.settled += boundNow.filter { !boundBefore.contains($0) }
                try await place.save(cursors)
                throw error
            }
            place.settled = []
            place.odooDone += chunk.count
            place.done += chunk.count
            try await checkpoint(place)
        }
    }

    // MARK: place, budget, apps

    /// Saves the place after a slice; stops when the mapping's app left the instance, and gives the
    /// worker up once the budget is spent (the next attempt starts at once, no attempt spent).
    func checkpoint(_ place: ReconcilePlace) async throws {
        try await save(place)
        let current = try await engine.zoho.instances.load(instance.id)
        guard let current, current.apps.contains(m.app) else {
            let reason = SyncEngine.appDropped(m, current ?? instance)
            try await cursors.clear(ReconcilePlace.side)
            try await engine.progress(instance.id, m, done: place.done, total: place.total, state: "cancelled", note: reason)
            throw Stop(reason: reason)
        }
        let elapsed = ContinuousClock.now - started
        guard elapsed > .seconds(Self.budgetSeconds) else { return }
        throw JobError(
            .deferred(until: Clock.now()),
            "\(m.name): \(place.done) of \(place.total) records done in \(Int(Self.budgetSeconds)) s; the reconciliation saved its place "
                + "and goes on in its next attempt, leaving the worker to other jobs meanwhile"
        )
    }

    func save(_ place: ReconcilePlace) async throws {
        try await place.save(cursors)
        try await engine.progress(instance.id, m, done: place.done, total: place.total, state: "running")
    }

    /// The mapping's app left the instance while the run went on.
    struct Stop: Error {
        let reason: String
    }

    func odooSince() async throws -> String? { full ? nil : try await cursors.get("odoo") }

    var inactiveToo: [String: JSONValue] { ["context": ["active_test": false]] }

    func odooDomain(since: String?) -> JSONValue {
        let company: [JSONValue] = ["|", ["company_id", "=", false], ["company_id", "=", .int(instance.companyID)]]
        var domain = (m.odooDomain.arrayValue ?? []) + company
        if let since { domain.append(["write_date", ">=", .string(since)]) }
        return .array(domain)
    }

    /// CRM's If-Modified-Since form of a time.
    static func crmTime(_ micros: Micros) -> String {
        Clock.odooString(micros).replacingOccurrences(of: " ", with: "T") + "+00:00"
    }

    /// The later of a cursor and a record's change time (CRM's cursor is kept one second back).
    static func later(_ cursor: String?, _ time: String, crm: Bool) -> String? {
        guard let t = Clock.parseOdoo(time) else { return cursor }
        let value = crm ? crmTime(t - 1_000_000) : time
        guard let current = cursor.flatMap(Clock.parseOdoo) else { return value }
        return (crm ? t - 1_000_000 : t) > current ? value : cursor
    }
}
