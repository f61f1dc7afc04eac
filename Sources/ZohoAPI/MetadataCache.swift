import Synchronization

/// Field and module metadata kept for a short while per instance and module: checking a mapping
/// reads the same module's fields several times in a row, and Zoho counts every call against the
/// day's credits. Short, so a field an administrator adds in Zoho shows up within a minute.
public final class MetadataCache: Sendable {
    public let ttlSeconds: Double
    private let entries = Mutex<[String: Entry]>([:])

    struct Entry: @unchecked Sendable {
        let fetched: ContinuousClock.Instant
        // Only Sendable values are stored (see `value`); the existential hides it from the compiler.
        let value: Any
    }

    public init(ttlSeconds: Double = 60) {
        self.ttlSeconds = ttlSeconds
    }

    /// The value kept under `key` if it is younger than the TTL, else what `load` answers (kept).
    /// A failed load keeps nothing.
    func value<T: Sendable>(_ key: String, load: () async throws -> T) async throws -> T {
        let now = ContinuousClock.now
        let kept = entries.withLock { $0[key] }
        if let kept, now - kept.fetched < .milliseconds(Int64(ttlSeconds * 1000)), let value = kept.value as? T { return value }
        let value = try await load()
        entries.withLock { $0[key] = Entry(fetched: now, value: value) }
        return value
    }
}
