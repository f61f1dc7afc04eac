import Core

/// Writes the error centre (`zoho.log`): what went wrong, where, and why, masked.
public struct LogBook: Sendable {
    public let store: any Store

    public init(store: any Store) { self.store = store }

    public enum Level: String, Sendable { case debug, info, warning, error }

    public func write(
        _ level: Level,
        _ message: String,
        companyID: Int64,
        instanceID: Int64? = nil,
        jobID: Int64? = nil,
        cause: String? = nil,
        source: String = "sidecar"
    ) async {
        _ = try? await store.write(
            SQL(
                "INSERT INTO logs (company_id, instance_id, job_id, level, source, message, cause, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .int(companyID), SQLValue(instanceID), SQLValue(jobID), .text(level.rawValue), .text(source),
                    .text(Secrets.redact(message)), cause.map { .text(Secrets.redact($0)) } ?? .null, .int(Clock.now()),
                ]
            )
        )
    }

    /// Drops entries older than `days` (the `log_retention_days` setting). Returns how many.
    @discardableResult
    public static func purge(_ store: any Store, olderThanDays days: Double) async throws -> Int {
        try await store.execute(SQL("DELETE FROM logs WHERE created_at < ?", [.int(Clock.now() - Int64(days * 86_400 * 1e6))]))
    }
}
