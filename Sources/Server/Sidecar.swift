import Core
import Foundation
import Hummingbird
import Logging
import RPCModels
import Store

/// The sidecar's settings catalogue: every setting, its default and its check. `docs/settings.md`
/// is generated from it.
public enum SidecarSettings {
    public static let catalogue: [Setting] = [
        Setting("host", default: "127.0.0.1", help: "Address to listen on."),
        Setting("port", default: "8169", help: "Port to listen on (0: any free port).", validate: Setting.integer(0...65535)),
        Setting("data_dir", default: "./.zoho-sidecar", help: "Directory for the SQLite database and the master key file (mode 0700)."),
        Setting("database", default: nil, help: "PostgreSQL URL (postgres://user:pass@host:5432/db); empty: embedded SQLite in data_dir.",
                validate: { $0.isEmpty || $0.hasPrefix("postgres://") || $0.hasPrefix("postgresql://") ? nil : "must be a postgres:// URL" }),
        Setting("max_body_bytes", default: "1048576", help: "Largest accepted /jsonrpc and JSON-2 request body.", validate: Setting.integer(1024...(64 << 20))),
        Setting("sqlite_synchronous", default: "full", help: "SQLite durability: full (fsync per commit) or normal (survives process crashes only).",
                validate: Setting.oneOf(["full", "normal"])),
        Setting("log_level", default: "info", help: "trace, debug, info, notice, warning, error or critical.",
                validate: Setting.oneOf(["trace", "debug", "info", "notice", "warning", "error", "critical"])),
        Setting("log_format", default: "text", help: "text or json (one JSON object per line).", validate: Setting.oneOf(["text", "json"])),
    ]
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

    /// Opens the store, applies migrations and loads the master key.
    public static func open(settings: Settings, environment: [String: String], logger: Logger) async throws -> Sidecar {
        let dataDir = settings["data_dir"] ?? "./.zoho-sidecar"
        let store = try await StoreFactory.open(database: settings["database"], dataDir: dataDir,
                                                sqliteSynchronous: settings["sqlite_synchronous"] == "normal" ? .normal : .full)
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
        self.models = ModelService(store: store, registry: ModelRegistry(), vault: vault)
        self.keys = APIKeys(store: store)
        self.rpc = RPCEndpoint(models: models, keys: keys, version: Sidecar.version, logger: logger)
        self.server = ServerSettings(host: settings["host"] ?? "127.0.0.1", port: settings.int("port") ?? 8169,
                                     maxBodyBytes: settings.int("max_body_bytes") ?? 1 << 20)
    }

    /// The HTTP application; `onRunning` receives the bound port (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = HTTPServer.router(rpc: rpc, store: store, settings: server)
        return Application(
            router: router,
            configuration: .init(address: .hostname(server.host, port: server.port), serverName: "zoho-sidecar"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
