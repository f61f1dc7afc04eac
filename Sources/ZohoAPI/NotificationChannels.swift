import Core
import Crypto
import Foundation
import Logging
import Store

/// CRM notification channels (facts §7a): one per watched module, pointing at the sidecar's webhook
/// URL, carrying a token only the sidecar can derive, renewed well before Zoho lets it lapse.
public struct NotificationChannels: Sendable {
    let store: any Store
    let instances: Instances
    let client: ZohoClient
    let logger: Logger
    /// How the sidecar is reached from Zoho, e.g. https://sidecar.example.com.
    public let publicURL: String
    /// Asked-for lifetime. Zoho's maximum is one week and an expiry beyond it silently becomes one hour,
    /// so the default stays a day short of it.
    public let lifetimeSeconds: Double
    /// Channels expiring within this are renewed.
    public let renewBeforeSeconds: Double

    public init(
        store: any Store,
        instances: Instances,
        client: ZohoClient,
        publicURL: String,
        lifetimeSeconds: Double = 6 * 86_400,
        renewBeforeSeconds: Double = 86_400,
        logger: Logger
    ) {
        self.store = store
        self.instances = instances
        self.client = client
        self.publicURL = publicURL
        self.lifetimeSeconds = lifetimeSeconds
        self.renewBeforeSeconds = renewBeforeSeconds
        self.logger = logger
    }

    /// The token Zoho echoes in each callback: derived from the webhook secret, so it changes when the
    /// secret is regenerated and never has to be stored. 40 hex characters (Zoho allows at most 50).
    public static func token(secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("zoho-crm-notification-channel".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return String(mac.hex.prefix(40))
    }

    public func notifyURL(_ instanceID: Int64, module: String) -> String {
        "\(publicURL)/zoho/webhook/\(instanceID)/crm/\(module)"
    }

    /// Creates or renews the channel of every watched module; returns module → expiry.
    @discardableResult
    public func subscribe(_ instanceID: Int64) async throws -> [String: Micros] {
        guard let instance = try await instances.load(instanceID) else { throw ZohoError(.notConfigured, "instance \(instanceID) does not exist") }
        guard let secret = instance.webhookSecret else { throw ZohoError(.notConfigured, "instance \(instanceID) has no webhook secret") }
        let existing = try await store.query(SQL("SELECT module, channel_id FROM channels WHERE instance_id = ?", [.int(instanceID)]))
        var channelIDs: [String: String] = [:]
        for row in existing { if let m = row["module"].text, let c = row["channel_id"].text { channelIDs[m] = c } }
        var expiries: [String: Micros] = [:]
        for module in instance.watchModules {
            let known = channelIDs[module]
            // Channel ids are the subscriber's choice (a long); random ones cannot collide with another sidecar's.
            let channelID = known ?? String(1_000_000_000_000 + Int64.random(in: 0..<8_000_000_000_000))
            let askedExpiry = Clock.now() + Int64(lifetimeSeconds * 1e6)
            let body: JSONValue = [
                "watch": [
                    [
                        "channel_id": .int(Int64(channelID) ?? 0), "events": [.string("\(module).all")],
                        "channel_expiry": .string(Clock.odooString(askedExpiry).replacingOccurrences(of: " ", with: "T") + "+00:00"),
                        "token": .string(Self.token(secret: secret)), "notify_url": .string(notifyURL(instanceID, module: module)),
                        // The new values ride along, so the sync can tell a person's edit that its own write overwrote.
                        "return_affected_field_values": true,
                    ]
                ]
            ]
            let exchange = try await client.call(instanceID, .crm, known == nil ? .POST : .PUT, "/crm/v8/actions/watch", json: body)
            // Zoho answers with the expiry it granted: trust that, not what was asked.
            let granted =
                exchange.json?["watch"]?[0]?["details"]?["events"]?[0]?["channel_expiry"]?.stringValue.flatMap(Clock.parseOdoo) ?? askedExpiry
            let now = Clock.now()
            try await store.execute(
                SQL(
                    """
                    INSERT INTO channels (company_id, instance_id, module, channel_id, expires_at, renewed_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (instance_id, module) DO UPDATE SET channel_id = excluded.channel_id, expires_at = excluded.expires_at, renewed_at = excluded.renewed_at
                    """,
                    [.int(instance.companyID), .int(instanceID), .text(module), .text(channelID), .int(granted), .int(now)]
                )
            )
            expiries[module] = granted
        }
        // Modules no longer watched lose their channel.
        let dropped = channelIDs.filter { !instance.watchModules.contains($0.key) }
        if !dropped.isEmpty { try await disable(instanceID, channels: dropped) }
        return expiries
    }

    /// Disables every channel of the instance at Zoho and forgets them.
    public func unsubscribe(_ instanceID: Int64) async throws {
        var channels: [String: String] = [:]
        for row in try await store.query(SQL("SELECT module, channel_id FROM channels WHERE instance_id = ?", [.int(instanceID)])) {
            if let m = row["module"].text, let c = row["channel_id"].text { channels[m] = c }
        }
        guard !channels.isEmpty else { return }
        try await disable(instanceID, channels: channels)
    }

    func disable(_ instanceID: Int64, channels: [String: String]) async throws {
        do {
            _ = try await client.call(
                instanceID,
                .crm,
                .DELETE,
                "/crm/v8/actions/watch",
                query: [("channel_ids", channels.values.sorted().joined(separator: ","))]
            )
        } catch let error as ZohoError {
            // Already gone at Zoho (expired, or removed there): nothing left to disable.
            guard case .rejected(code: "NOT_SUBSCRIBED") = error.kind else { throw error }
        }
        try await store.execute(
            SQL("DELETE FROM channels WHERE instance_id = ? AND module IN (", [.int(instanceID)])
                + .list(channels.keys.sorted().map { .text($0) }) + SQL(")")
        )
    }

    /// Subscribes connected CRM instances whose channels are missing, stale or about to expire.
    /// Returns how many instances were (re)subscribed. Failures are logged and retried next round.
    @discardableResult
    public func maintain() async -> Int {
        let due = Clock.now() + Int64(renewBeforeSeconds * 1e6)
        var needy: [Int64] = []
        do {
            let wanted = try await store.query(
                SQL(
                    """
                    SELECT id, watch_modules FROM instances
                    WHERE active = 1 AND state = 'connected' AND apps LIKE '%"crm"%' ORDER BY id
                    """
                )
            )
            var held: [Int64: [String: Micros]] = [:]
            for row in try await store.query(SQL("SELECT instance_id, module, expires_at FROM channels")) {
                if let i = row["instance_id"].int, let m = row["module"].text { held[i, default: [:]][m] = row["expires_at"].int ?? 0 }
            }
            for row in wanted {
                guard let id = row["id"].int else { continue }
                let modules = Set((row["watch_modules"].text.flatMap { try? JSONValue.parse($0) }?.arrayValue ?? []).compactMap(\.stringValue))
                let have = held[id] ?? [:]
                if Set(have.keys) != modules || have.values.contains(where: { $0 < due }) { needy.append(id) }
            }
        } catch {
            logger.warning("notification channels: cannot read instances: \(Secrets.redact("\(error)"))")
            return 0
        }
        var count = 0
        for id in needy {
            // One sidecar renews an instance's channels at a time.
            let holder = UUID().uuidString
            guard (try? await instances.tryLock("channels:\(id)", holder: holder, seconds: 120)) == true else { continue }
            do {
                try await subscribe(id)
                count += 1
            } catch {
                logger.warning("notification channels of instance \(id) not renewed: \((error as? ZohoError)?.message ?? Secrets.redact("\(error)"))")
            }
            await instances.unlock("channels:\(id)", holder: holder)
        }
        return count
    }
}
