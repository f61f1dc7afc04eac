import Core
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The store's row, named apart from `PostgresPreparedStatement.Row`.
typealias ResultRow = Row

/// The scale-out engine: several sidecars share one PostgreSQL database. Work is claimed with
/// `FOR UPDATE SKIP LOCKED`; cross-process locks use advisory locks.
public final class PostgresStore: Store {
    public let engine = Engine.postgres
    public let location: String
    /// The schema all tables live in (`search_path`); lets tests and tenants share one database.
    public let schema: String?
    let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger

    public struct Address: Sendable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
        public var schema: String?
        public var requireTLS: Bool

        /// Parses `postgres://user:pass@host:port/db?search_path=schema&sslmode=require`.
        public init(url: String) throws {
            guard let u = URLComponents(string: url), ["postgres", "postgresql"].contains(u.scheme ?? ""),
                let host = u.host, !host.isEmpty
            else {
                throw StoreError(
                    .invalid,
                    "database: expected postgres://user:password@host:port/database, got \(Secrets.redact(Self.hidePassword(url)))"
                )
            }
            self.host = host
            self.port = u.port ?? 5432
            self.user = u.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
            self.password = u.password.flatMap { $0.removingPercentEncoding }
            let db = u.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            self.database = db.isEmpty ? self.user : db
            let items = u.queryItems ?? []
            self.schema = items.first { $0.name == "search_path" || $0.name == "schema" }?.value
            self.requireTLS = items.first { $0.name == "sslmode" }?.value.map { ["require", "verify-full", "verify-ca"].contains($0) } ?? false
        }

        static func hidePassword(_ url: String) -> String {
            guard var u = URLComponents(string: url), u.password != nil else { return url }
            u.password = "***"
            return u.string ?? url
        }
    }

    private init(client: PostgresClient, location: String, schema: String?, logger: Logger) {
        self.client = client
        self.location = location
        self.schema = schema
        self.logger = logger
        self.runner = Task { await client.run() }
    }

    public static func connect(url: String, maxConnections: Int = 10) async throws -> PostgresStore {
        let address = try Address(url: url)
        var config = PostgresClient.Configuration(
            host: address.host,
            port: address.port,
            username: address.user,
            password: address.password,
            database: address.database,
            tls: address.requireTLS ? .require(.makeClientConfiguration()) : .disable
        )
        config.options.maximumConnections = maxConnections
        config.options.connectTimeout = .seconds(5)
        if let schema = address.schema {
            config.options.additionalStartupParameters = [("search_path", schema)]
        }
        // PostgresNIO's own chatter (retries, pool notes) stays quiet; failures reach us as errors.
        var logger = Logger(label: "zoho-sidecar.postgres")
        logger.logLevel = .error
        let store = PostgresStore(
            client: PostgresClient(configuration: config, backgroundLogger: logger),
            location: "postgres://\(address.host):\(address.port)/\(address.database)",
            schema: address.schema,
            logger: logger
        )
        do {
            // The pool retries connecting forever; a sidecar starting against a wrong address must fail fast.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await store.query(SQL("SELECT 1")) }
                group.addTask {
                    try await Task.sleep(for: .seconds(5))
                    throw StoreError(.unavailable, "no answer within 5 s")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await store.close()
            throw StoreError(.unavailable, "cannot reach PostgreSQL at \(store.location) as \(address.user): \(String(reflecting: error))")
        }
        return store
    }

    public func query(_ sql: SQL) async throws -> [Row] {
        do {
            return try await Self.collect(try await client.query(Self.prepare(sql), logger: logger))
        } catch {
            throw Self.translate(error, location: location)
        }
    }

    public func write(_ sql: SQL, durability: Durability) async throws -> [Row] {
        guard durability == .relaxed else { return try await query(sql) }
        return try await transaction(durability: .relaxed) { try await $0.query(sql) }
    }

    public func write<Statement: PreparedSQL>(_ statement: Statement) async throws -> [Row] {
        do {
            var rows: [Row] = []
            for try await row in try await client.execute(Prepared(statement: statement), logger: logger) { rows.append(row) }
            return rows
        } catch {
            throw Self.translate(error, location: location)
        }
    }

    /// PostgresNIO prepares a statement type once per connection, under its name.
    struct Prepared<Statement: PreparedSQL>: PostgresPreparedStatement {
        static var name: String { "zoho_sidecar:" + String(reflecting: Statement.self) }
        static var sql: String { PostgresStore.numberedPlaceholders(Statement.text) }
        let statement: Statement

        func makeBindings() -> PostgresBindings { PostgresStore.bindings(statement.binds) }
        func decodeRow(_ row: PostgresRow) throws -> ResultRow { try PostgresStore.row(row) }
    }

    @discardableResult
    public func execute(_ sql: SQL) async throws -> Int {
        try await client.withConnection { try await Connection(connection: $0, location: location, logger: logger).execute(sql) }
    }

    public func transaction<T: Sendable>(durability: Durability, _ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let location = self.location
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let tx = Connection(connection: connection, location: location, logger: logger)
                // The commit does not wait for the WAL flush; later commits still flush in order.
                if durability == .relaxed { _ = try await tx.execute(SQL("SET LOCAL synchronous_commit = off")) }
                return try await body(tx)
            }
        } catch let error as PostgresTransactionError {
            // Surface the closure's own error (a model's validation error, say) rather than the wrapper.
            if let inner = error.closureError { throw inner }
            throw Self.translate(error.beginError ?? error.commitError ?? error, location: location)
        }
    }

    /// A read-only transaction at REPEATABLE READ: one snapshot, taken at its first statement.
    public func snapshot<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let location = self.location
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let tx = Connection(connection: connection, location: location, logger: logger)
                _ = try await tx.execute(SQL("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
                return try await body(tx)
            }
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError { throw inner }
            throw Self.translate(error.beginError ?? error.commitError ?? error, location: location)
        }
    }

    /// Runs `body` with a dedicated connection, outside any transaction (LISTEN, advisory locks).
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { try await body($0) }
    }

    public func close() async {
        runner.cancel()
        _ = await runner.value
    }

    struct Connection: SQLExecutor {
        let engine = Engine.postgres
        let connection: PostgresConnection
        let location: String
        let logger: Logger

        func query(_ sql: SQL) async throws -> [Row] {
            do {
                return try await PostgresStore.collect(try await connection.query(PostgresStore.prepare(sql), logger: logger))
            } catch {
                throw PostgresStore.translate(error, location: location)
            }
        }

        func execute(_ sql: SQL) async throws -> Int {
            do {
                let result: PostgresQueryResult = try await connection.query(PostgresStore.prepare(sql), logger: logger).get()
                return result.metadata.rows ?? 0
            } catch {
                throw PostgresStore.translate(error, location: location)
            }
        }
    }

    static func prepare(_ sql: SQL) -> PostgresQuery {
        PostgresQuery(unsafeSQL: numberedPlaceholders(sql.text), binds: bindings(sql.binds))
    }

    /// Rewrites `?` placeholders to `$1, $2, …` (outside quoted literals). Byte by byte: both are
    /// ASCII, and this runs for every statement sent.
    static func numberedPlaceholders(_ sql: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(sql.utf8.count + 16)
        var n = 0
        var inQuote = false
        for byte in sql.utf8 {
            if byte == UInt8(ascii: "'") { inQuote.toggle() }
            if byte == UInt8(ascii: "?") && !inQuote {
                n += 1
                out.append(UInt8(ascii: "$"))
                out.append(contentsOf: String(n).utf8)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bindings(_ values: [SQLValue]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: binds.appendNull()
            case .int(let i): binds.append(i)
            case .double(let d): binds.append(d)
            case .text(let s): binds.append(s)
            case .blob(let b): binds.append(ByteBuffer(bytes: b))
            case .intArray(let a): binds.append(a)
            case .textArray(let a): binds.append(a)
            }
        }
        return binds
    }

    static func collect(_ rows: PostgresRowSequence) async throws -> [Row] {
        var out: [Row] = []
        var names: [String]?
        for try await row in rows {
            if names == nil { names = row.map(\.columnName) }  // one array shared by all rows
            out.append(try self.row(row, names: names!))
        }
        return out
    }

    static func row(_ row: PostgresRow, names: [String]? = nil) throws -> Row {
        var values: [SQLValue] = []
        values.reserveCapacity(row.count)
        for cell in row {
            guard cell.bytes != nil else {
                values.append(.null)
                continue
            }
            switch cell.dataType {
            case .int2, .int4, .int8, .oid: values.append(.int(try cell.decode(Int64.self)))
            case .bool: values.append(.int(try cell.decode(Bool.self) ? 1 : 0))
            case .float4, .float8: values.append(.double(try cell.decode(Double.self)))
            case .numeric: values.append(.double(Double(try cell.decode(String.self)) ?? 0))
            case .bytea:
                var b = try cell.decode(ByteBuffer.self)
                values.append(.blob(b.readBytes(length: b.readableBytes) ?? []))
            default: values.append(.text(try cell.decode(String.self)))
            }
        }
        return Row(columns: names ?? row.map(\.columnName), values: values)
    }

    static func translate(_ error: any Error, location: String) -> any Error {
        if error is StoreError { return error }
        guard let e = error as? PSQLError else { return error }
        if let code = e.serverInfo?[.sqlState] {
            let message = e.serverInfo?[.message] ?? code
            if code.hasPrefix("23") { return StoreError(.constraint, message) }
            if code == "53100" { return StoreError(.diskFull, "PostgreSQL at \(location) is out of disk space: \(message)") }
            if code.hasPrefix("08") || code.hasPrefix("57") { return StoreError(.unavailable, "PostgreSQL at \(location): \(message)") }
            return StoreError(.invalid, message)
        }
        return StoreError(.unavailable, "PostgreSQL at \(location) is unreachable: \(e.code)")
    }
}

extension PostgresStore {
    /// Calls `onNotification` for every NOTIFY on `channel`, reconnecting after failures, until cancelled.
    public func listenForever(channel: String, onNotification: @escaping @Sendable () -> Void) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        onNotification()  // catch anything sent while we were not listening
                        for try await _ in notifications { onNotification() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
