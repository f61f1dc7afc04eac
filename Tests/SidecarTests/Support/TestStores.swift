import Core
import Foundation
import Store
import Testing

/// Fresh stores for tests: a new SQLite file in a temporary directory, or a new schema in the
/// PostgreSQL named by `SIDECAR_TEST_POSTGRES`. In CI (CI=true) PostgreSQL is required, so a
/// missing database fails loudly instead of silently skipping half the suite.
enum TestStores {
    static let postgresURL = ProcessInfo.processInfo.environment["SIDECAR_TEST_POSTGRES"]

    /// The engines to run a parameterised test on.
    static var engines: [Engine] {
        if postgresURL != nil || ProcessInfo.processInfo.environment["CI"] == "true" { return [.sqlite, .postgres] }
        return [.sqlite]
    }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zs-test-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return dir
    }

    /// A database URL for `engine` that no other test uses: for SQLite, nil (use `dataDir`).
    static func databaseURL(for engine: Engine) async throws -> String? {
        guard engine == .postgres else { return nil }
        guard let url = postgresURL else {
            Issue.record("SIDECAR_TEST_POSTGRES is not set but CI=true: PostgreSQL tests cannot run")
            throw StoreError(.unavailable, "no test PostgreSQL")
        }
        let schema = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try await PostgresStore.connect(url: url, maxConnections: 1)
        try await admin.execute(SQL("CREATE SCHEMA \(schema)"))
        await admin.close()
        return url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)"
    }

    /// A migrated store of the given engine, closed when `body` returns.
    static func withStore<T>(_ engine: Engine, _ body: (any Store) async throws -> T) async throws -> T {
        _ = TestLog.bootstrapped
        let dir = try temporaryDirectory()
        let store = try await StoreFactory.open(database: try await databaseURL(for: engine), dataDir: dir)
        _ = try await Migrator.migrate(store)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}
