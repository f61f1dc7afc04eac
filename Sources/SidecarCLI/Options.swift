import ArgumentParser
import Core
import Foundation
import Logging
import Server

/// The settings every command understands. Flags win over `ZOHO_SIDECAR_*` variables, which win
/// over the config file (`--config` or `ZOHO_SIDECAR_CONFIG`), which wins over defaults.
struct SettingsOptions: ParsableArguments {
    @Option(help: "JSON config file of settings (env: ZOHO_SIDECAR_CONFIG).") var config: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default 8169).") var port: String?
    @Option(help: "Data directory for SQLite and the master key (default ./.zoho-sidecar).") var dataDir: String?
    @Option(help: "PostgreSQL URL; empty uses the embedded SQLite.") var database: String?
    @Option(help: "Largest accepted RPC request body in bytes (default 1048576).") var maxBodyBytes: String?
    @Option(help: "RPC requests per second before 429 (default 2000).") var rpcRate: String?
    @Option(help: "RPC requests that may come at once above the rate (default 4000).") var rpcBurst: String?
    @Option(help: "SQLite durability: full or normal (default full).") var sqliteSynchronous: String?
    @Option(help: "Run job workers in this process: true or false (default true).") var workers: String?
    @Option(help: "On SIGTERM, seconds running jobs may finish before release (default 30).") var shutdownGraceSeconds: String?
    @Option(help: "How browsers and Zoho reach this sidecar (default http://host:port).") var publicUrl: String?
    @Option(help: "Where the browser goes after consent; {id} is the instance id.") var oauthReturnUrl: String?
    @Option(help: "Talk to a Zoho stand-in: a URL with {dc}, e.g. http://127.0.0.1:9100/{dc}.") var zohoUrlTemplate: String?
    @Option(help: "Refresh access tokens this many seconds before expiry (default 600).") var tokenRefreshMarginSeconds: String?
    @Option(help: "Largest accepted webhook body in bytes (default 524288).") var webhookMaxBodyBytes: String?
    @Option(help: "Seconds a webhook delivered again is recognised as a duplicate (default 86400).") var webhookDedupWindowSeconds: String?
    @Option(help: "Webhook deliveries per second per instance before 429 (default 500).") var webhookRate: String?
    @Option(help: "Webhook deliveries an instance may send at once above the rate (default 1000).") var webhookBurst: String?
    @Option(help: "Days the webhook audit log is kept (default 30).") var webhookRetentionDays: String?
    @Option(help: "Days the error centre (zoho.log) keeps entries (default 90).") var logRetentionDays: String?
    @Option(help: "Lifetime in hours asked for CRM notification channels (default 144).") var channelLifetimeHours: String?
    @Option(help: "Renew CRM notification channels this many hours before expiry (default 24).") var channelRenewBeforeHours: String?
    @Option(help: "Odoo to sync with when an instance names none, e.g. http://127.0.0.1:8069.") var odooUrl: String?
    @Option(help: "That Odoo's database.") var odooDb: String?
    @Option(help: "The Odoo login the sidecar writes as.") var odooUser: String?
    @Option(help: "That user's Odoo API key (prefer ZOHO_SIDECAR_ODOO_API_KEY).") var odooApiKey: String?
    @Option(help: "How to call Odoo: jsonrpc or json2 (default jsonrpc).") var odooApi: String?
    @Option(help: "Seconds between reconciliations of every mapping; 0: never (default 300).") var reconcileIntervalSeconds: String?
    @Option(help: "Zoho Books calls per minute and organization (default 90; Books allows 100).") var booksRequestsPerMinute: String?
    @Option(help: "Zoho Books calls per day and organization: your plan's quota (default 1000).") var booksDailyQuota: String?
    @Option(help: "Length of Books' minute in seconds; only tests shorten it (default 60).") var booksWindowSeconds: String?
    @Option(help: "Log level (default info).") var logLevel: String?
    @Option(help: "Log format: text or json (default text).") var logFormat: String?
    @Option(help: "Bearer token GET /metrics requires (prefer ZOHO_SIDECAR_METRICS_TOKEN).") var metricsToken: String?

    func resolve() throws -> Settings {
        let flags: [String: String?] = [
            "host": host, "port": port, "data_dir": dataDir, "database": database, "max_body_bytes": maxBodyBytes, "rpc_rate": rpcRate,
            "rpc_burst": rpcBurst,
            "sqlite_synchronous": sqliteSynchronous, "log_level": logLevel, "log_format": logFormat,
            "workers": workers, "shutdown_grace_seconds": shutdownGraceSeconds, "public_url": publicUrl,
            "oauth_return_url": oauthReturnUrl, "zoho_url_template": zohoUrlTemplate, "token_refresh_margin_seconds": tokenRefreshMarginSeconds,
            "webhook_max_body_bytes": webhookMaxBodyBytes, "webhook_dedup_window_seconds": webhookDedupWindowSeconds,
            "webhook_rate": webhookRate, "webhook_burst": webhookBurst, "webhook_retention_days": webhookRetentionDays,
            "log_retention_days": logRetentionDays,
            "channel_lifetime_hours": channelLifetimeHours, "channel_renew_before_hours": channelRenewBeforeHours,
            "odoo_url": odooUrl, "odoo_db": odooDb, "odoo_user": odooUser, "odoo_api_key": odooApiKey, "odoo_api": odooApi,
            "reconcile_interval_seconds": reconcileIntervalSeconds, "metrics_token": metricsToken,
            "books_requests_per_minute": booksRequestsPerMinute, "books_daily_quota": booksDailyQuota,
            "books_window_seconds": booksWindowSeconds,
        ]
        // Every setting of the catalogue has its flag here; a new setting without one is a bug caught at once.
        precondition(Set(flags.keys) == Set(SidecarSettings.catalogue.map(\.key)), "SettingsOptions and SidecarSettings.catalogue disagree")
        let env = ProcessInfo.processInfo.environment
        do {
            return try Settings.resolve(
                SidecarSettings.catalogue,
                flags: flags.compactMapValues { $0 },
                environment: env,
                configFile: config ?? env["ZOHO_SIDECAR_CONFIG"]
            )
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
    }
}

/// Opens the sidecar (store, migrations, key) for a command, with logging set up from the settings.
func openSidecar(_ options: SettingsOptions) async throws -> Sidecar {
    let settings = try options.resolve()
    let level = Logger.Level(rawValue: settings["log_level"] ?? "info") ?? .info
    let format = SidecarLogHandler.Format(rawValue: settings["log_format"] ?? "text") ?? .text
    LoggingSystem.bootstrap { SidecarLogHandler(label: $0, level: level, format: format) }
    do {
        return try await Sidecar.open(
            settings: settings,
            environment: ProcessInfo.processInfo.environment,
            logger: Logger(label: "zoho-sidecar")
        )
    } catch {
        throw CLIError(Secrets.redact(String(describing: error)))
    }
}

/// Opens the sidecar for a command and always closes its store, also when the command fails.
func withSidecar<T>(_ options: SettingsOptions, _ body: (Sidecar) async throws -> T) async throws -> T {
    let sidecar = try await openSidecar(options)
    do {
        let result = try await body(sidecar)
        await sidecar.store.close()
        return result
    } catch {
        await sidecar.store.close()
        throw error
    }
}

/// A command's failure: printed as "Error: …" with exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
