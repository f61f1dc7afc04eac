import Core
import Foundation
import Hummingbird
import Logging
import Monitoring
import OdooRPC
import Queue
import RPCModels
import ServiceLifecycle
import Store
import Sync
import Webhooks
import ZohoAPI

/// The sidecar's settings catalogue: every setting, its default and its check. `docs/settings.md`
/// is generated from it.
public enum SidecarSettings {
    public static let catalogue: [Setting] = [
        Setting("host", default: "127.0.0.1", help: "Address to listen on."),
        Setting("port", default: "8169", help: "Port to listen on (0: any free port).", validate: Setting.integer(0...65535)),
        Setting("data_dir", default: "./.zoho-sidecar", help: "Directory for the SQLite database and the master key file (mode 0700)."),
        Setting(
            "database",
            default: nil,
            help: "PostgreSQL URL (postgres://user:pass@host:5432/db); empty: embedded SQLite in data_dir.",
            validate: { $0.isEmpty || $0.hasPrefix("postgres://") || $0.hasPrefix("postgresql://") ? nil : "must be a postgres:// URL" }
        ),
        Setting(
            "max_body_bytes",
            default: "1048576",
            help: "Largest accepted /jsonrpc and JSON-2 request body.",
            validate: Setting.integer(1024...(64 << 20))
        ),
        Setting(
            "rpc_rate",
            default: "2000",
            help: "RPC requests (/jsonrpc and JSON-2 together) per second; beyond rate and burst the caller gets 429 with Retry-After.",
            validate: Setting.integer(1...1_000_000)
        ),
        Setting("rpc_burst", default: "4000", help: "RPC requests that may come at once above the rate.", validate: Setting.integer(1...10_000_000)),
        Setting(
            "sqlite_synchronous",
            default: "full",
            help: "SQLite durability: full (fsync per commit) or normal (survives process crashes only).",
            validate: Setting.oneOf(["full", "normal"])
        ),
        Setting(
            "public_url",
            default: nil,
            help: "How browsers and Zoho reach this sidecar (default http://host:port); the OAuth redirect URI is <public_url>/zoho/oauth/callback."
        ),
        Setting(
            "oauth_return_url",
            default: nil,
            help:
                "Where the browser goes after Zoho's consent when the instance names no return URL; {id} is the instance id (e.g. the Odoo instance form)."
        ),
        Setting(
            "zoho_url_template",
            default: nil,
            help: "Talk to a Zoho stand-in instead of Zoho: a URL with {dc}, e.g. http://127.0.0.1:9100/{dc} for zoho-sim."
        ),
        Setting(
            "token_refresh_margin_seconds",
            default: "600",
            help: "Refresh access tokens this long before they expire.",
            validate: Setting.integer(30...3000)
        ),
        Setting(
            "workers",
            default: "true",
            help: "Run job workers in this process (false: serve RPC and webhooks only).",
            validate: Setting.oneOf(["true", "false"])
        ),
        Setting(
            "shutdown_grace_seconds",
            default: "30",
            help: "On SIGTERM, how long running jobs may finish before they are released.",
            validate: Setting.integer(0...3600)
        ),
        Setting(
            "webhook_max_body_bytes",
            default: "524288",
            help: "Largest accepted webhook body; larger ones get 413.",
            validate: Setting.integer(1024...(16 << 20))
        ),
        Setting(
            "webhook_dedup_window_seconds",
            default: "86400",
            help: "How long a webhook delivered again is recognised as a duplicate (acknowledged, not enqueued).",
            validate: Setting.integer(1...(30 * 86400))
        ),
        Setting(
            "webhook_rate",
            default: "500",
            help: "Webhook deliveries per second per instance; beyond rate and burst the sender gets 429 with Retry-After.",
            validate: Setting.integer(1...1_000_000)
        ),
        Setting(
            "webhook_burst",
            default: "1000",
            help: "Webhook deliveries an instance may send at once above its rate.",
            validate: Setting.integer(1...10_000_000)
        ),
        Setting(
            "webhook_retention_days",
            default: "30",
            help: "Days the webhook audit log (zoho.webhook.event) is kept.",
            validate: Setting.integer(1...3650)
        ),
        Setting(
            "log_retention_days",
            default: "90",
            help: "Days the error centre (zoho.log) keeps its entries.",
            validate: Setting.integer(1...3650)
        ),
        Setting(
            "channel_lifetime_hours",
            default: "144",
            help: "Lifetime asked for CRM notification channels (Zoho allows at most 168 and silently gives 1 h beyond it).",
            validate: Setting.integer(2...167)
        ),
        Setting(
            "channel_renew_before_hours",
            default: "24",
            help: "Renew CRM notification channels this long before they expire.",
            validate: Setting.integer(1...166)
        ),
        Setting("odoo_url", default: nil, help: "The Odoo the sidecar syncs with when an instance names none, e.g. http://127.0.0.1:8069."),
        Setting("odoo_db", default: nil, help: "That Odoo's database."),
        Setting("odoo_user", default: nil, help: "The Odoo login the sidecar writes as."),
        Setting("odoo_api_key", default: nil, help: "That user's Odoo API key (prefer the environment variable or the config file to a flag)."),
        Setting(
            "odoo_api",
            default: "auto",
            help: "How to call Odoo: auto (JSON-2 on Odoo 19 and later, jsonrpc before), jsonrpc (Odoo 8–19) or json2 (Odoo 19+).",
            validate: Setting.oneOf(["auto", "jsonrpc", "json2"])
        ),
        Setting(
            "reconcile_interval_seconds",
            default: "300",
            help: "How often every mapping is reconciled from its cursors (catching missed webhooks and forwards); 0: never.",
            validate: Setting.integer(0...86_400)
        ),
        Setting(
            "books_requests_per_minute",
            default: "90",
            help: "Zoho Books calls per minute and organization; Books allows 100, and the rest is left to the organization's other API users.",
            validate: Setting.integer(1...100)
        ),
        Setting(
            "books_daily_quota",
            default: "1000",
            help:
                "Zoho Books calls per day and organization: your Books plan's quota (Free 1000, Standard about 2500, Professional 5000). Books work waits, saying so, once it is spent.",
            validate: Setting.integer(1...1_000_000)
        ),
        Setting(
            "books_window_seconds",
            default: "60",
            help: "The length of Books' minute, its day being 1440 of them. Only tests shorten it, against a simulator shortened alike.",
            validate: Setting.integer(1...60)
        ),
        Setting(
            "log_level",
            default: "info",
            help: "trace, debug, info, notice, warning, error or critical.",
            validate: Setting.oneOf(["trace", "debug", "info", "notice", "warning", "error", "critical"])
        ),
        Setting("log_format", default: "text", help: "text or json (one JSON object per line).", validate: Setting.oneOf(["text", "json"])),
        Setting(
            "metrics_token",
            default: nil,
            help: "When set, GET /metrics needs `Authorization: Bearer <token>` (prefer the environment variable or the config file to a flag)."
        ),
    ]
}

extension SidecarSettings {
    /// docs/settings.md, generated from the catalogue.
    public static func markdown() -> String {
        var out = """
            # Settings

            Generated by `zoho-sidecar docs` from the settings catalogue; do not edit by hand.

            Each setting can be given as a flag, an environment variable, or a key in a JSON config file (`--config FILE`
            or `ZOHO_SIDECAR_CONFIG`), in that order of precedence. An unknown or invalid setting stops the sidecar with a
            message naming it. `ZOHO_SIDECAR_MASTER_KEY` (base64 of 32 bytes) supplies the master key instead of the key file.

            | config key | flag | environment | default | meaning |
            |---|---|---|---|---|

            """
        for s in catalogue {
            out += "| `\(s.key)` | `\(s.flag)` | `\(s.environmentVariable)` | \(s.defaultValue.map { "`\($0)`" } ?? "—") | \(s.help) |\n"
        }
        return out
    }
}

/// Everything a running sidecar is made of, wired together once.
public struct Sidecar: Sendable {
    public static let version = "0.1.0"

    public let store: any Store
    public let vault: Vault
    public let models: ModelService
    public let keys: APIKeys
    public let rpc: RPCEndpoint
    public let server: ServerSettings
    public let logger: Logger
    public let queue: JobQueue
    public let handlers: HandlerRegistry
    public let workers: WorkerPool?
    public let zoho: ZohoService
    public let webhooks: WebhookGateway
    public let sync: SyncEngine
    public let metrics: MetricsExport
    let metricsToken: String?
    let webhookSettings: WebhookSettings
    let webhookRetentionDays: Double
    let logRetentionDays: Double
    let reconcileInterval: Int
    let shutdownGrace: Duration

    /// The models and their actions, as served over RPC.
    public static func registry() -> ModelRegistry {
        var registry = ModelRegistry()
        JobActions.register(on: &registry)
        InstanceActions.register(on: &registry)
        SyncActions.register(on: &registry)
        HealthCheck.register(on: &registry)
        RejectionActions.register(on: &registry)
        RecordStatus.register(on: &registry)
        MappingActions.register(on: &registry)
        return registry
    }

    /// Opens the store, applies migrations and loads the master key.
    public static func open(settings: Settings, environment: [String: String], logger: Logger) async throws -> Sidecar {
        let dataDir = settings["data_dir"] ?? "./.zoho-sidecar"
        let store = try await StoreFactory.open(
            database: settings["database"],
            dataDir: dataDir,
            sqliteSynchronous: settings["sqlite_synchronous"] == "normal" ? .normal : .full
        )
        do {
            let report = try await Migrator.migrate(store)
            if !report.applied.isEmpty { logger.info("schema migrated", metadata: ["applied": "\(report.applied)", "version": "\(report.current)"]) }
            try StoreFactory.ensurePrivateDirectory(dataDir)
            let vault = try Vault.load(environment: environment, keyFile: (dataDir as NSString).appendingPathComponent("master.key"))
            return Sidecar(store: store, vault: vault, settings: settings, logger: logger)
        } catch {
            await store.close()
            throw error
        }
    }

    init(store: any Store, vault: Vault, settings: Settings, logger: Logger) {
        self.store = store
        self.vault = vault
        self.logger = logger
        self.queue = JobQueue(store: store)
        self.metrics = MetricsExport(store: store)
        self.metricsToken = settings["metrics_token"].flatMap { $0.isEmpty ? nil : $0 }
        let telemetry = metrics.telemetry
        self.shutdownGrace = .seconds(settings.int("shutdown_grace_seconds") ?? 30)
        let publicURL = settings["public_url"] ?? "http://\(settings["host"] ?? "127.0.0.1"):\(settings["port"] ?? "8169")"
        self.zoho = ZohoService(
            store: store,
            vault: vault,
            queue: queue,
            endpoints: ZohoEndpoints(template: settings["zoho_url_template"]),
            publicURL: publicURL,
            returnURL: settings["oauth_return_url"],
            refreshMarginSeconds: Double(settings.int("token_refresh_margin_seconds") ?? 600),
            channelLifetimeSeconds: Double(settings.int("channel_lifetime_hours") ?? 144) * 3600,
            channelRenewBeforeSeconds: Double(settings.int("channel_renew_before_hours") ?? 24) * 3600,
            limits: ZohoLimits(
                booksPerWindow: settings.int("books_requests_per_minute") ?? 90,
                booksWindowSeconds: Double(settings.int("books_window_seconds") ?? 60),
                booksPerDay: settings.int("books_daily_quota") ?? 1_000
            ),
            telemetry: telemetry,
            logger: logger
        )
        self.webhookSettings = WebhookSettings(
            maxBodyBytes: settings.int("webhook_max_body_bytes") ?? 512 * 1024,
            dedupWindowSeconds: Double(settings.int("webhook_dedup_window_seconds") ?? 86_400),
            rate: Double(settings.int("webhook_rate") ?? 500),
            burst: Double(settings.int("webhook_burst") ?? 1_000)
        )
        self.webhookRetentionDays = Double(settings.int("webhook_retention_days") ?? 30)
        self.logRetentionDays = Double(settings.int("log_retention_days") ?? 90)
        self.reconcileInterval = settings.int("reconcile_interval_seconds") ?? 300
        let odooAPI = settings["odoo_api"].flatMap(OdooConnection.API.init(rawValue:)) ?? .auto
        var fallbackOdoo: OdooConnection?
        if let url = settings["odoo_url"], let db = settings["odoo_db"], let user = settings["odoo_user"], let key = settings["odoo_api_key"] {
            fallbackOdoo = OdooConnection(url: url, database: db, user: user, apiKey: key, api: odooAPI)
        }
        let odooTargets = OdooTargets(store: store, vault: vault, fallback: fallbackOdoo, api: odooAPI)
        self.sync = SyncEngine(store: store, zoho: zoho, odoo: odooTargets, logger: logger)
        self.webhooks = WebhookGateway(
            store: store,
            instances: zoho.instances,
            queue: queue,
            settings: webhookSettings,
            mappings: sync.book,
            telemetry: telemetry,
            logger: logger
        )
        var handlers = HandlerRegistry(BuiltinHandlers.all + sync.handlers)
        handlers.register(ZohoHandlers.ping(zoho))
        self.handlers = handlers
        self.workers = settings["workers"] == "false" ? nil : WorkerPool(queue: queue, handlers: handlers, telemetry: telemetry, logger: logger)
        self.models = ModelService(
            store: store,
            registry: Sidecar.registry(),
            vault: vault,
            components: Components(queue: queue, handlers: handlers, workers: workers, zoho: zoho, odoo: odooTargets, mappings: sync.book)
        )
        self.keys = APIKeys(store: store)
        self.rpc = RPCEndpoint(models: models, keys: keys, version: Sidecar.version, logger: logger)
        self.server = ServerSettings(
            host: settings["host"] ?? "127.0.0.1",
            port: settings.int("port") ?? 8169,
            maxBodyBytes: settings.int("max_body_bytes") ?? 1 << 20,
            rpcRate: Double(settings.int("rpc_rate") ?? 2_000),
            rpcBurst: Double(settings.int("rpc_burst") ?? 4_000),
            secureCookies: settings["public_url"]?.lowercased().hasPrefix("https://") ?? false
        )
    }

    /// Background services that run beside HTTP: the job workers, and the periodic rounds: tokens
    /// refreshed ahead of expiry; notification channels kept subscribed and webhook tables trimmed;
    /// reconciliation of every mapping scheduled.
    public var backgroundServices: [any Service] {
        let (keeper, channels, store, queue, logger, retention, logRetention) = (
            zoho.keeper, zoho.channels, store, queue, logger, webhookRetentionDays, logRetentionDays
        )
        let book = sync.book
        var services: [any Service] = workers.map { [WorkerService(pool: $0, grace: shutdownGrace)] } ?? []
        services.append(
            Periodic(name: "token refresh", interval: .seconds(60), logger: logger) {
                let n = await keeper.refreshDue()
                if n > 0 { logger.info("refreshed \(n) access token(s) ahead of expiry") }
            }
        )
        services.append(
            Periodic(name: "housekeeping", interval: .seconds(60), logger: logger) {
                await channels.maintain()
                _ = try await WebhookRetention.purge(store, retentionDays: retention)
                _ = try await FieldClock.purge(store, olderThanDays: retention)
                try await LogBook.purge(store, olderThanDays: logRetention)
            }
        )
        // PostgreSQL appends a delta row per statement that changes a count: fold them often.
        services.append(
            Periodic(name: "tallies", interval: .seconds(15), logger: logger) {
                try await Tallies.compact(store)
            }
        )
        if reconcileInterval > 0 {
            // At most one waiting reconciliation per mapping (identity key), however many sidecars schedule it.
            services.append(
                Periodic(name: "reconciliation schedule", interval: .seconds(reconcileInterval), waitFirst: true, logger: logger) {
                    _ = try await queue.enqueue(try await SyncJobs.reconcileJobs(queue.store, book: book, full: false, scheduled: true))
                }
            )
        }
        return services
    }

    /// The HTTP application; `onRunning` receives the bound port (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = HTTPServer.router(rpc: rpc, store: store, settings: server, workers: workers)
        MetricsRoute.add(to: router, export: metrics, token: metricsToken)
        OAuthRoutes.add(to: router, flow: zoho.flow, channels: zoho.channels)
        WebhookRoutes.add(to: router, gateway: webhooks, maxBodyBytes: webhookSettings.maxBodyBytes)
        return Application(
            router: router,
            configuration: .init(address: .hostname(server.host, port: server.port), serverName: "zoho-sidecar"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }
}

/// The worker pool as a lifecycle service: on graceful shutdown it stops claiming and gives running
/// jobs the grace period before releasing them.
struct WorkerService: Service {
    let pool: WorkerPool
    let grace: Duration

    func run() async throws {
        await withGracefulShutdownHandler {
            await pool.run()
        } onGracefulShutdown: {
            Task { await pool.stop(grace: grace) }
        }
    }
}

/// Work repeated at a fixed interval until shutdown. A round that fails is logged (masked) and the
/// next one comes as usual; every round here is idempotent, so several sidecars on one database may
/// all run them.
struct Periodic: Service {
    let name: String
    let interval: Duration
    /// Wait one interval before the first round (work that start-up has no reason to do at once).
    var waitFirst = false
    let logger: Logger
    let round: @Sendable () async throws -> Void

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            if waitFirst { try await Task.sleep(for: interval) }
            while !Task.isCancelled {
                do {
                    try await round()
                } catch {
                    logger.warning("\(name): \(Secrets.redact("\(error)"))")
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
