import Core
import Foundation
import Monitoring
import OdooRPC
import Queue
import Store
import Sync
import ZohoAPI

/// `zoho.instance.action_health_check`: everything an operator checks when a sync stalls, each item
/// ok, warning or error with a message that says what to do.
public enum HealthCheck {
    public struct Item: Sendable {
        public enum Status: String, Sendable, Comparable {
            case ok, warning, error
            public static func < (a: Status, b: Status) -> Bool {
                [.ok, .warning, .error].firstIndex(of: a)! < [.ok, .warning, .error].firstIndex(of: b)!
            }
        }

        public let name: String
        public let status: Status
        public let message: String

        var json: JSONValue { ["name": .string(name), "status": .string(status.rawValue), "message": .string(message)] }
    }

    public static func register(on registry: inout ModelRegistry) {
        registry.register("action_health_check", on: SidecarModels.instance.name) { call in
            // Without ids: the sidecar itself and a line per instance the caller may see.
            if call.ids.isEmpty {
                let items = try await sidecar(store: call.service.store, components: call.service.components, companies: call.env.companies)
                return ["status": .string((items.map(\.status).max() ?? .ok).rawValue), "items": .array(items.map(\.json))]
            }
            try await call.service.checkAccess(call.model, call.ids, call.env, operation: "read")
            var reports: [JSONValue] = []
            for id in call.ids {
                let items = try await check(id, store: call.service.store, components: call.service.components)
                let worst = items.map(\.status).max() ?? .ok
                reports.append(["instance_id": .int(id), "status": .string(worst.rawValue), "items": .array(items.map(\.json))])
            }
            return call.ids.count == 1 ? reports[0] : .array(reports)
        }
    }

    /// The sidecar as a whole: store, workers, queue lag, failures, and each instance's state.
    static func sidecar(store: any Store, components: Components, companies: [Int64]?) async throws -> [Item] {
        var items = try await common(store: store, components: components)
        guard items.first?.status != .error else { return items }
        let now = Clock.now()
        let lag = try await DashboardStats.queueLag(store, companies: companies, now: now)
        items.append(
            Item(
                name: "queue lag",
                status: lag < 60 ? .ok : lag < 600 ? .warning : .error,
                message: lag == 0 ? "no job is overdue" : "the oldest due job has waited \(Int(lag)) s"
            )
        )
        // Jobs failed now whose failure came in the day: the Jobs list filtered Failed shows them
        // (failure events would count a job retried and failed again twice).
        let failed = try await Tallies.windows(store, metric: "failed_jobs", now: now, companies: companies)
            .reduce(0) { $0 + $1.lastDay }
        items.append(
            Item(
                name: "failures",
                status: failed == 0 ? .ok : .warning,
                message: failed == 0 ? "no job failed in the last 24 h" : "\(failed) job(s) failed in the last 24 h: see Jobs, filter Failed"
            )
        )
        var sql = SQL("SELECT id, name, state, last_error FROM instances WHERE active = 1")
        if let companies {
            sql = sql + SQL(" AND company_id IN (") + (companies.isEmpty ? SQL("NULL") : .list(companies.map { .int($0) })) + SQL(")")
        }
        for row in try await store.query(sql + SQL(" ORDER BY id")) {
            let state = row["state"].text ?? ""
            let status: Item.Status = state == "connected" ? .ok : state == "needs_reauth" || state == "error" ? .error : .warning
            let detail = row["last_error"].text.map { ": \(Secrets.redact($0))" } ?? ""
            items.append(
                Item(
                    name: "instance \(row["id"].int ?? 0) \(row["name"].text ?? "")",
                    status: status,
                    message: state == "connected" ? "connected" : "\(state)\(status == .ok ? "" : detail); run its health check for details"
                )
            )
        }
        return items
    }

    /// What every report starts with: the store answers, the workers run.
    static func common(store: any Store, components: Components) async throws -> [Item] {
        var items: [Item] = []
        let started = ContinuousClock.now
        do {
            _ = try await store.query(SQL("SELECT 1"))
            items.append(Item(name: "store", status: .ok, message: "\(store.engine) answers in \(milliseconds(since: started)) ms"))
        } catch {
            return [Item(name: "store", status: .error, message: "the store does not answer: \(Secrets.redact("\(error)"))")]
        }
        if let workers = components.workers {
            items.append(
                workers.isRunning
                    ? Item(name: "workers", status: .ok, message: "\(workers.runningCount) job(s) running now")
                    : Item(name: "workers", status: .error, message: "the worker pool is stopped: restart the sidecar")
            )
        } else {
            items.append(Item(name: "workers", status: .warning, message: "this sidecar runs no workers (--workers false): another sidecar must"))
        }
        return items
    }

    static func check(_ id: Int64, store: any Store, components: Components) async throws -> [Item] {
        var items = try await common(store: store, components: components)
        guard items.first?.status != .error else { return items }
        let now = Clock.now()
        let oldest = try await store.scalar(
            SQL("SELECT min(eta) FROM jobs WHERE instance_id = ? AND state = 'pending' AND eta <= ?", [.int(id), .int(now)])
        ).int
        let lag = oldest.map { Double(now - $0) / 1e6 } ?? 0
        items.append(
            Item(
                name: "queue lag",
                status: lag < 60 ? .ok : lag < 600 ? .warning : .error,
                message: oldest == nil ? "no job is waiting" : "the oldest due job has waited \(Int(lag)) s"
            )
        )
        let failed =
            try await store.scalar(
                SQL(
                    "SELECT count(*) FROM jobs WHERE instance_id = ? AND state = 'failed' AND failed_at >= ?",
                    [.int(id), .int(now - 86_400_000_000)]
                )
            ).int ?? 0
        items.append(
            Item(
                name: "failures",
                status: failed == 0 ? .ok : .warning,
                message: failed == 0 ? "no job failed in the last 24 h" : "\(failed) job(s) failed in the last 24 h: see Jobs, filter Failed"
            )
        )

        guard let zoho = components.zoho, let instance = try await zoho.instances.load(id) else { return items }
        switch instance.state {
        case "connected":
            let left = instance.tokenExpiresAt.map { Double($0 - now) / 1e6 } ?? 0
            items.append(
                Item(
                    name: "token",
                    status: instance.refreshToken == nil ? .error : .ok,
                    message: instance.refreshToken == nil
                        ? "no refresh token: authorize again"
                        : left > 0
                            ? "access token valid for \(Int(left / 60)) min; refreshed before expiry"
                            : "access token expired; the next call refreshes it"
                )
            )
            let test = try await zoho.testConnection(id)
            for (app, result) in (test["apps"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                let ok = result["ok"]?.boolValue == true
                items.append(
                    Item(
                        name: "\(app) API",
                        status: ok ? .ok : .error,
                        message: ok ? "reachable in \(result["latency_ms"]?.intValue ?? 0) ms" : (result["message"]?.stringValue ?? "unreachable")
                    )
                )
            }
        case "needs_reauth":
            items.append(Item(name: "token", status: .error, message: "Zoho refused the refresh token: press Authorize; jobs wait until then"))
        case "disabled":
            items.append(Item(name: "token", status: .warning, message: "the instance is disabled: enable it to sync"))
        default:
            items.append(Item(name: "token", status: .warning, message: "not authorized yet: fill in the OAuth client and press Authorize"))
        }
        if instance.apps.contains("books") { items.append(await booksLimits(instance, zoho: zoho)) }
        if instance.apps.contains("crm") {
            let expiry = try await store.scalar(SQL("SELECT min(expires_at) FROM channels WHERE instance_id = ?", [.int(id)])).int
            if let expiry {
                let hours = Double(expiry - now) / 3.6e9
                items.append(
                    Item(
                        name: "notification channels",
                        status: hours > 24 ? .ok : hours > 0 ? .warning : .error,
                        message: hours > 0
                            ? "the first channel expires in \(Int(hours)) h; renewed a day before"
                            : "channels expired: Zoho no longer calls back; check public_url"
                    )
                )
            } else {
                items.append(
                    Item(
                        name: "notification channels",
                        status: .warning,
                        message: "no CRM notification channel: set the sidecar's public_url so Zoho can call it; reconciliation polls meanwhile"
                    )
                )
            }
        }
        let initialSyncs = try await store.scalar(
            SQL("SELECT count(*) FROM sync_cursors WHERE instance_id = ? AND side = 'initial'", [.int(id)])
        ).int
        items.append(
            initialSyncs ?? 0 > 0
                ? Item(name: "initial sync", status: .ok, message: "done; scheduled reconciliation catches up what notifications missed")
                : Item(
                    name: "initial sync",
                    status: .warning,
                    message:
                        "not run: nothing is copied on a schedule until you press Initial sync (edits Odoo forwards and Zoho's notifications still sync)"
                )
        )
        items.append(
            instance.webhookSecret?.isEmpty == false
                ? Item(name: "webhook secret", status: .ok, message: "set")
                : Item(name: "webhook secret", status: .warning, message: "no webhook secret: regenerate it on the instance")
        )
        for row in try await store.query(
            SQL(
                "SELECT zoho_object, max(last_sync_at) AS last, count(*) AS n FROM bindings WHERE instance_id = ? GROUP BY zoho_object ORDER BY zoho_object",
                [.int(id)]
            )
        ) {
            let ago = row["last"].int.map { Double(now - $0) / 1e6 }
            items.append(
                Item(
                    name: "sync \(row["zoho_object"].text ?? "")",
                    status: .ok,
                    message: "\(row["n"].int ?? 0) binding(s); last synced \(ago.map { "\(Int($0)) s ago" } ?? "never")"
                )
            )
        }
        items += try await rejectionItems(id, store: store)
        if let odoo = components.odoo {
            let mappings = try await components.book.mappings(id)
            items += mappingProblems(mappings)
            items += await odooItems(id, apps: instance.apps, targets: odoo, mappings: mappings.active)
        }
        return items
    }

    /// Records a side refused, per mapping: each waits for a person to fix its data.
    static func rejectionItems(_ id: Int64, store: any Store) async throws -> [Item] {
        let rows = try await store.query(
            SQL(
                "SELECT mapping, rejected_by, count(*) AS n FROM sync_rejections WHERE instance_id = ? GROUP BY mapping, rejected_by ORDER BY mapping, rejected_by",
                [.int(id)]
            )
        )
        guard !rows.isEmpty else { return [Item(name: "rejected records", status: .ok, message: "none: every record synced was accepted")] }
        return rows.map { row in
            let mapping = row["mapping"].text ?? ""
            let count = row["n"].int ?? 0
            let message =
                switch row["rejected_by"].text {
                case "mapping": "\(count) record(s) with values mapping \(mapping) cannot convert: open Rejected records"
                case "odoo": "\(count) record(s) Odoo refused for mapping \(mapping): open Rejected records"
                default: "\(count) record(s) Zoho refused for mapping \(mapping): open Rejected records"
                }
            return Item(name: "rejected \(mapping)", status: .warning, message: message)
        }
    }

    /// Stored mappings that cannot run as they are: each is left out, and the others sync.
    static func mappingProblems(_ mappings: InstanceMappings) -> [Item] {
        let broken = mappings.broken.sorted { $0.key < $1.key }.map { name, problem in
            Item(name: "mapping \(name)", status: .error, message: "not synced until it is fixed: \(problem)")
        }
        let empty = mappings.empty.map { name in
            Item(name: "mapping \(name)", status: .warning, message: "has no field pair yet: it syncs nothing until it has one")
        }
        return broken + empty
    }

    /// The instance's Odoo: its version and protocol, the login, and how each mapping fits it.
    static func odooItems(_ id: Int64, apps: [String], targets: OdooTargets, mappings: [Mapping]) async -> [Item] {
        let started = ContinuousClock.now
        do {
            let client = try await targets.client(for: id)
            let server = try await client.server()
            try await client.checkLogin()
            let answered = "Odoo \(server.version) over \(server.protocolName) answers in \(milliseconds(since: started)) ms; the login works"
            var items = [Item(name: "odoo", status: .ok, message: answered)]
            for m in mappings where apps.contains(m.app) {
                let fit = try await MappingFit.check(m, client: client)
                items.append(Item(name: "mapping \(m.name)", status: fit.problem == nil ? .ok : .error, message: fit.summary))
            }
            return items
        } catch {
            let message =
                (error as? OdooFault)?.message ?? (error as? OdooRefused)?.message ?? (error as? OdooUnavailable)?.message
                ?? (error as? JobError)?.message ?? Secrets.redact("\(error)")
            return [Item(name: "odoo", status: .error, message: "the sidecar cannot use Odoo: \(message)")]
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
        let d = (ContinuousClock.now - start).components
        return d.seconds * 1000 + d.attoseconds / 1_000_000_000_000_000
    }
}
