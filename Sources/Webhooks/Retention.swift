import Core
import Store

/// Keeps the gateway's tables small: expired dedup keys go at once, audit rows after the retention.
public enum WebhookRetention {
    public static func purge(_ store: any Store, retentionDays: Double) async throws -> (events: Int, dedupKeys: Int) {
        let now = Clock.now()
        let dedup = try await store.execute(SQL("DELETE FROM webhook_dedup WHERE expires_at < ?", [.int(now)]))
        let events = try await store.execute(SQL("DELETE FROM webhook_events WHERE received_at < ?", [.int(now - Int64(retentionDays * 86_400e6))]))
        return (events, dedup)
    }
}
