import Core
import Foundation
import Store

/// The queue's run-time settings, stored in the `settings` table so every sidecar on one database
/// shares them and operators can change them while it runs (RPC `set_queue_settings`, CLI).
public struct QueueSettings: Sendable, Equatable, Codable {
    /// Jobs run at once by one sidecar.
    public var concurrency = 32
    /// Jobs claimed in one round trip.
    public var maxJobsPerRun = 256
    /// A job running longer is stopped and retried (kinds may set less).
    public var maxRuntimeSeconds = 300.0
    /// How long a claim holds a job before another worker may rescue it; renewed while it runs.
    public var leaseSeconds = 600.0
    public var maxAttempts = 5
    public var retryBackoffBaseSeconds = 2.0
    public var retryBackoffCapSeconds = 600.0
    /// Days done jobs are kept before purging.
    public var retentionDays = 14

    public init() {}

    static let key = "queue"

    public static func load(_ store: any SQLExecutor) async throws -> QueueSettings {
        guard let text = try await store.scalar(SQL("SELECT value FROM settings WHERE key = ?", [.text(key)])).text,
            let data = text.data(using: .utf8)
        else { return QueueSettings() }
        return (try? Coders.decoder.decode(QueueSettings.self, from: data)) ?? QueueSettings()
    }

    public func save(_ store: any Store) async throws {
        try validate()
        let text = String(decoding: try Coders.encoder.encode(self), as: UTF8.self)
        try await store.transaction { tx in
            try await tx.execute(SQL("DELETE FROM settings WHERE key = ?", [.text(Self.key)]))
            try await tx.execute(
                SQL("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", [.text(Self.key), .text(text), .int(Clock.now())])
            )
        }
    }

    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw JobError(.permanent, message) } }
        try check((1...10_000).contains(concurrency), "concurrency must be between 1 and 10000")
        try check((1...10_000).contains(maxJobsPerRun), "max_jobs_per_run must be between 1 and 10000")
        try check(maxRuntimeSeconds > 0, "max_runtime_seconds must be positive")
        try check(leaseSeconds > maxRuntimeSeconds, "lease_seconds must be longer than max_runtime_seconds, so a running job is never rescued")
        try check((1...1000).contains(maxAttempts), "max_attempts must be between 1 and 1000")
        try check(
            retryBackoffBaseSeconds > 0 && retryBackoffCapSeconds >= retryBackoffBaseSeconds,
            "retry_backoff_base_seconds must be positive and retry_backoff_cap_seconds at least as long"
        )
        try check(retentionDays >= 0, "retention_days must not be negative")
    }

    /// Exponential backoff with jitter: base·2^(n-1), capped, then scaled by a random 50–100 %.
    public func backoff(attempt: Int, random: Double = Double.random(in: 0.5...1.0)) -> Double {
        let raw = retryBackoffBaseSeconds * pow(2, Double(max(0, attempt - 1)))
        return min(retryBackoffCapSeconds, raw) * random
    }
}

/// Settings are stored and shown with snake_case keys (`max_jobs_per_run`), as operators type them.
public enum Coders {
    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()
    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = .sortedKeys
        return e
    }()
}
