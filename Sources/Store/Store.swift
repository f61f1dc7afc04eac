import Core

public enum Engine: String, Sendable, CaseIterable {
    case sqlite
    case postgres
}

/// Runs statements. Inside `Store.transaction` every call shares one transaction.
public protocol SQLExecutor: Sendable {
    var engine: Engine { get }
    func query(_ sql: SQL) async throws -> [Row]
    /// Returns the number of rows changed.
    @discardableResult func execute(_ sql: SQL) async throws -> Int
}

/// The sidecar's database. Two engines implement it; everything above is written once against it.
/// Engines differ only where the databases do: placeholders, column types, locking and wake-ups.
public protocol Store: SQLExecutor {
    /// Runs one writing statement as its own transaction and returns its rows.
    func write(_ sql: SQL, durability: Durability) async throws -> [Row]
    /// Runs one prepared writing statement as its own transaction, durably, and returns its rows.
    func write<Statement: PreparedSQL>(_ statement: Statement) async throws -> [Row]
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(durability: Durability, _ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Runs `body`'s reads in one consistent snapshot of the database, as Odoo answers each request
    /// inside one transaction: no commit made after its first statement is seen by the rest.
    func snapshot<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Releases connections. The store must not be used afterwards.
    func close() async
    /// A short, secret-free description for logs and health: "sqlite:/path" or "postgres://host:port/db".
    var location: String { get }
}

/// A hot statement whose text never changes: PostgreSQL parses and plans it once per connection (a
/// named prepared statement) instead of on every run. SQLite runs it like any other statement.
public protocol PreparedSQL: Sendable {
    /// The statement with `?` placeholders, the same on every run.
    static var text: String { get }
    /// The values for the placeholders, in order.
    var binds: [SQLValue] { get }
}

/// How a commit waits for the disk.
public enum Durability: Sendable {
    /// On disk when the call returns: survives a power loss. What everything gets unless it says otherwise.
    case full
    /// Survives a crash of the sidecar, and of the machine only up to the last full commit before it.
    /// For writes whose loss only means doing the work again: a job's claim, a finished job's outcome
    /// (jobs run at least once; a lost claim or outcome is a job that runs again).
    case relaxed
}

extension Store {
    public func write(_ sql: SQL) async throws -> [Row] { try await write(sql, durability: .full) }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await transaction(durability: .full, body)
    }
}

public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case unavailable, constraint, diskFull, invalid }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = Secrets.redact(message)
    }

    public var description: String { message }
}

extension SQLExecutor {
    /// The first column of the first row, if any.
    public func scalar(_ sql: SQL) async throws -> SQLValue {
        try await query(sql).first?.values.first ?? .null
    }

    /// Dialect helpers for the few places the SQL text differs.
    public var dialect: Dialect { Dialect(engine: engine) }
}

public struct Dialect: Sendable {
    public let engine: Engine

    public init(engine: Engine) { self.engine = engine }

    /// Case-insensitive LIKE: Postgres has ILIKE; SQLite compares lowered text.
    public func ilike(_ column: String) -> String {
        engine == .postgres ? "\(column) ILIKE ?" : "lower(\(column)) LIKE lower(?)"
    }

    public func notIlike(_ column: String) -> String {
        engine == .postgres ? "\(column) NOT ILIKE ?" : "lower(\(column)) NOT LIKE lower(?)"
    }

    /// Row locks that skip rows another worker holds (Postgres); SQLite's single writer needs none.
    public var skipLocked: String { engine == .postgres ? " FOR UPDATE SKIP LOCKED" : "" }
}
