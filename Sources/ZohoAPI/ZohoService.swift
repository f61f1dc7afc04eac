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

    public init(store: any Store, vault: Vault, queue: JobQueue, endpoints: ZohoEndpoints, redirectURI: String, returnURL: String?,
                refreshMarginSeconds: Double, http: ZohoHTTP = ZohoHTTP(), logger: Logger = Logger(label: "zoho-sidecar.zoho")) {
        self.instances = Instances(store: store, vault: vault)
        self.oauth = OAuthClient(http: http)
        self.endpoints = endpoints
        self.flow = OAuthFlow(instances: instances, oauth: oauth, endpoints: endpoints, queue: queue, defaultRedirectURI: redirectURI, defaultReturnURL: returnURL)
        self.keeper = TokenKeeper(instances: instances, oauth: oauth, endpoints: endpoints, queue: queue, marginSeconds: refreshMarginSeconds, logger: logger)
        self.client = ZohoClient(keeper: keeper, http: http)
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
                results[app] = ["ok": true, "latency_ms": .int(elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000), "detail": detail]
            } catch {
                results[app] = ["ok": false, "message": .string((error as? ZohoError)?.message ?? Secrets.redact("\(error)"))]
            }
        }
        let refreshed = try await instances.load(id)
        return ["apps": .object(results), "granted_scopes": .string(refreshed?.grantedScopes ?? instance.scopes),
                "state": .string(refreshed?.state ?? instance.state)]
    }

    /// Revokes the refresh token at Zoho and forgets the tokens; jobs wait for a new authorization.
    public func revoke(_ id: Int64, queue: JobQueue) async throws {
        guard let instance = try await instances.load(id) else { throw ZohoError(.notConfigured, "instance \(id) does not exist") }
        if let refresh = instance.refreshToken, let dc = endpoints.dataCenter(instance.dataCenter) {
            let server = instance.accountsServer.flatMap { endpoints.trustedAccountsServer($0, location: instance.dataCenter) } ?? dc.accountsServer
            try await oauth.revoke(accountsServer: server, token: refresh)
        }
        try await instances.clearTokens(id, state: "needs_reauth", error: "Access was revoked from the sidecar; authorize again to reconnect.")
        try await queue.holdForReauthorization(id)
    }

    public func disable(_ id: Int64, queue: JobQueue) async throws {
        try await instances.setState(id, "disabled", error: nil)
        try await queue.holdForReauthorization(id)
    }
}
