import Core
import Foundation
import Logging
import NIOHTTP1
import Queue
import Store

/// Everything Zoho-facing, wired once: instances, the OAuth flow, the token keeper and the API client,
/// plus the operations the instance form's buttons call.
public struct ZohoService: Sendable {
    public let instances: Instances
    public let oauth: OAuthClient
    public let flow: OAuthFlow
    public let keeper: TokenKeeper
    public let client: ZohoClient
    public let endpoints: ZohoEndpoints
    public let channels: NotificationChannels
    let logger: Logger

    /// `publicURL` is how browsers and Zoho reach the sidecar: the OAuth redirect and the notification URLs hang off it.
    public init(
        store: any Store,
        vault: Vault,
        queue: JobQueue,
        endpoints: ZohoEndpoints,
        publicURL: String,
        returnURL: String?,
        refreshMarginSeconds: Double,
        channelLifetimeSeconds: Double = 6 * 86_400,
        channelRenewBeforeSeconds: Double = 86_400,
        http: ZohoHTTP = ZohoHTTP(),
        limits: ZohoLimits = ZohoLimits(),
        telemetry: Telemetry = .none,
        logger: Logger = Logger(label: "zoho-sidecar.zoho")
    ) {
        let redirectURI = publicURL + "/zoho/oauth/callback"
        self.instances = Instances(store: store, vault: vault)
        self.oauth = OAuthClient(http: http)
        self.endpoints = endpoints
        self.flow = OAuthFlow(
            instances: instances,
            oauth: oauth,
            endpoints: endpoints,
            queue: queue,
            defaultRedirectURI: redirectURI,
            defaultReturnURL: returnURL,
            logger: logger
        )
        self.keeper = TokenKeeper(
            instances: instances,
            oauth: oauth,
            endpoints: endpoints,
            queue: queue,
            marginSeconds: refreshMarginSeconds,
            telemetry: telemetry,
            logger: logger
        )
        self.client = ZohoClient(
            keeper: keeper,
            http: http,
            limiter: RateLimiter(ledger: CallLedger(store: store)),
            limits: limits,
            telemetry: telemetry
        )
        self.channels = NotificationChannels(
            store: store,
            instances: instances,
            client: client,
            publicURL: publicURL,
            lifetimeSeconds: channelLifetimeSeconds,
            renewBeforeSeconds: channelRenewBeforeSeconds,
            logger: logger
        )
        self.logger = logger
    }

    /// One cheap call per enabled app: reachability, latency, organisation name, granted scopes.
    public func testConnection(_ id: Int64) async throws -> JSONValue {
        guard let instance = try await instances.load(id) else { throw ZohoError(.notConfigured, "instance \(id) does not exist") }
        var results: [String: JSONValue] = [:]
        for app in instance.apps {
            let start = ContinuousClock.now
            do {
                let detail: JSONValue
                switch app {
                case "crm":
                    let org = try await client.call(id, .crm, .GET, "/crm/v8/org").json
                    detail = ["organization": org?["org"]?[0]?["company_name"] ?? .null, "org_id": org?["org"]?[0]?["id"] ?? .null]
                case "books":
                    let orgs = try await client.call(id, .books, .GET, "/books/v3/organizations").json
                    detail = ["organizations": .array((orgs?["organizations"]?.arrayValue ?? []).map { $0["name"] ?? .null })]
                default:
                    results[app] = ["ok": false, "message": .string("\(app) has no connection test yet")]
                    continue
                }
                let elapsed = (ContinuousClock.now - start).components
                results[app] = [
                    "ok": true, "latency_ms": .int(elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000), "detail": detail,
                ]
            } catch {
                results[app] = ["ok": false, "message": .string((error as? ZohoError)?.message ?? Secrets.redact("\(error)"))]
            }
        }
        let refreshed = try await instances.load(id)
        return [
            "apps": .object(results), "granted_scopes": .string(refreshed?.grantedScopes ?? instance.scopes),
            "state": .string(refreshed?.state ?? instance.state),
        ]
    }

    /// Revokes the refresh token at Zoho and forgets the tokens; jobs wait for a new authorization.
    public func revoke(_ id: Int64, queue: JobQueue) async throws {
        guard let instance = try await instances.load(id) else { throw ZohoError(.notConfigured, "instance \(id) does not exist") }
        if let refresh = instance.refreshToken, let dc = endpoints.dataCenter(instance.dataCenter) {
            let server = instance.accountsServer.flatMap { endpoints.trustedAccountsServer($0, location: instance.dataCenter) } ?? dc.accountsServer
            try await oauth.revoke(accountsServer: server, token: refresh)
        }
        let instances = self.instances
        try await queue.holdForReauthorization(id) {
            try await instances.clearTokens(
                id,
                state: "needs_reauth",
                error: "Access was revoked from the sidecar; authorize again to reconnect.",
                in: $0
            )
            return true
        }
    }

    /// Stops the instance: its webhooks get 404, its jobs wait, and Zoho stops notifying (best effort:
    /// a channel Zoho cannot be told about lapses within its expiry anyway).
    public func disable(_ id: Int64, queue: JobQueue) async throws {
        do {
            try await channels.unsubscribe(id)
        } catch {
            logger.warning(
                "instance \(id): notification channels not disabled at Zoho: \((error as? ZohoError)?.message ?? Secrets.redact("\(error)"))"
            )
        }
        let instances = self.instances
        try await queue.holdForReauthorization(id) {
            try await instances.setState(id, "disabled", error: nil, in: $0)
            return true
        }
    }
}
