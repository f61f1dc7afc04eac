import Core
import Foundation
import Logging
import Queue
import Store

/// The authorization-code flow around an instance: a consent URL with a signed, single-use state
/// bound to the instance, and the callback that exchanges the code and connects the instance.
public struct OAuthFlow: Sendable {
    let instances: Instances
    let oauth: OAuthClient
    let endpoints: ZohoEndpoints
    let queue: JobQueue
    /// The sidecar's own /zoho/oauth/callback, used when an instance names no redirect URI.
    let defaultRedirectURI: String
    /// Where the browser goes afterwards when the instance names no return URL; `{id}` is replaced.
    let defaultReturnURL: String?
    let stateTTLSeconds: Double = 600
    private let signingKey: [UInt8]
    let logger: Logger

    public init(
        instances: Instances,
        oauth: OAuthClient,
        endpoints: ZohoEndpoints,
        queue: JobQueue,
        defaultRedirectURI: String,
        defaultReturnURL: String?,
        logger: Logger = Logger(label: "zoho-sidecar.oauth")
    ) {
        self.logger = logger
        self.instances = instances
        self.oauth = oauth
        self.endpoints = endpoints
        self.queue = queue
        self.defaultRedirectURI = defaultRedirectURI
        self.defaultReturnURL = defaultReturnURL
        self.signingKey = instances.vault.derivedKey("oauth-state")
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public let instanceID: Int64?
    }

    /// Zoho's consent URL for the instance (access_type=offline, prompt=consent, a fresh state).
    public func authorizationURL(_ instanceID: Int64) async throws -> String {
        guard let i = try await instances.load(instanceID) else { throw ZohoError(.notConfigured, "instance \(instanceID) does not exist") }
        guard let clientID = i.clientID, !clientID.isEmpty, i.clientSecret != nil else {
            throw ZohoError(.notConfigured, "Set the client id and client secret from Zoho's API console before authorizing.")
        }
        guard let dc = endpoints.dataCenter(i.dataCenter) else { throw ZohoError(.notConfigured, "unknown data centre \(i.dataCenter)") }
        let nonce = Random.token(bytes: 18)
        let expires = Clock.now() + Int64(stateTTLSeconds * 1e6)
        try await instances.store.execute(
            SQL(
                "INSERT INTO oauth_states (nonce, instance_id, expires_at) VALUES (?, ?, ?)",
                [.text(nonce), .int(instanceID), .int(expires)]
            )
        )
        return OAuthClient.consentURL(
            accountsServer: dc.accountsServer,
            clientID: clientID,
            scopes: i.scopes,
            redirectURI: i.redirectURI ?? defaultRedirectURI,
            state: sign(nonce: nonce, instanceID: instanceID, expires: expires)
        )
    }

    func sign(nonce: String, instanceID: Int64, expires: Micros) -> String {
        OAuthState(instanceID: instanceID, expires: expires, nonce: nonce).signed(with: signingKey)
    }

    /// Checks the signature, then spends the state (single use, not expired). Returns the instance id.
    func redeem(_ text: String?) async throws -> Int64 {
        let state = try OAuthState.verified(text, key: signingKey)
        let id = state.instanceID
        guard state.expires > Clock.now() else {
            throw Failure(description: "The authorization link expired. Start again from the instance's Authorize button.", instanceID: id)
        }
        let spent = try await instances.store.write(
            SQL(
                "UPDATE oauth_states SET used_at = ? WHERE nonce = ? AND instance_id = ? AND used_at IS NULL AND expires_at > ? RETURNING instance_id",
                [.int(Clock.now()), .text(state.nonce), .int(id), .int(Clock.now())]
            )
        )
        guard spent.first?["instance_id"].int == id else {
            throw Failure(description: "This authorization link was already used. Start again from the instance's Authorize button.", instanceID: id)
        }
        return id
    }

    public struct Outcome: Sendable {
        public let instanceID: Int64?
        public let connected: Bool
        public let message: String
        /// Where to send the browser, if anywhere.
        public let returnURL: String?
    }

    /// The callback: `?code&location&accounts-server&state`, or `?error=access_denied&state`.
    public func complete(query: [String: String]) async -> Outcome {
        var instanceID: Int64?
        do {
            let id = try await redeem(query["state"])
            instanceID = id
            guard let instance = try await instances.load(id) else { throw Failure(description: "The instance no longer exists.", instanceID: nil) }
            if let error = query["error"] {
                let message =
                    error == "access_denied"
                    ? "The Zoho user refused access (access_denied). Authorize again to connect."
                    : "Zoho answered the consent with an error: \(error)."
                try await instances.setError(id, message)
                return await failed(id, message: message, otherwise: nil)
            }
            guard let code = query["code"], !code.isEmpty else { throw Failure(description: "Zoho sent no authorization code.", instanceID: id) }
            let location = query["location"] ?? instance.dataCenter
            guard let server = endpoints.trustedAccountsServer(query["accounts-server"], location: location) else {
                throw Failure(
                    description:
                        "Zoho named an accounts server (\(query["accounts-server"] ?? "-")) that does not belong to data centre '\(location)'; nothing was sent there.",
                    instanceID: id
                )
            }
            guard let clientID = instance.clientID, let secret = instance.clientSecret else {
                throw Failure(description: "The instance has no client id or secret.", instanceID: id)
            }
            let tokens = try await oauth.exchange(
                accountsServer: server,
                clientID: clientID,
                clientSecret: secret,
                redirectURI: instance.redirectURI ?? defaultRedirectURI,
                code: code
            )
            guard let refresh = tokens.refreshToken else {
                throw Failure(description: "Zoho issued no refresh token (was access_type=offline lost?). Authorize again.", instanceID: id)
            }
            guard let apiDomain = endpoints.trustedAPIDomain(tokens.apiDomain, location: location) else {
                throw Failure(
                    description: "Zoho returned an API domain (\(tokens.apiDomain ?? "-")) outside data centre '\(location)'.",
                    instanceID: id
                )
            }
            try await instances.saveTokens(
                id,
                access: tokens.accessToken,
                refresh: refresh,
                expiresIn: tokens.expiresIn,
                accountsServer: server,
                apiDomain: apiDomain,
                scopes: tokens.scope ?? instance.scopes,
                dataCenter: location
            )
            try await queue.resumeInstance(id)
            let message = "Connected to Zoho (\(location.uppercased()))."
            logger.info("instance authorized", metadata: ["instance": "\(id)", "data_center": "\(location)"])
            await LogBook(store: instances.store).write(.info, message, companyID: instance.companyID, instanceID: id, source: "oauth")
            return Outcome(instanceID: id, connected: true, message: message, returnURL: returnURL(instance, status: "connected", message: message))
        } catch {
            let message = (error as? Failure)?.description ?? (error as? ZohoError)?.message ?? Secrets.redact("\(error)")
            let id = instanceID ?? (error as? Failure)?.instanceID
            return await failed(id, message: message, otherwise: (error as? ZohoError)?.kind == .transient ? "draft" : "error")
        }
    }

    /// A callback that did not connect. An instance that is connected stays so: its refresh token
    /// still works, and reconciliation, channel renewal and refreshes run only for connected
    /// instances (a reloaded "connected" page, a Zoho hiccup or a stale code during re-authorization
    /// must not stop them); another moves to `otherwise`, if given. Either way the failure is in
    /// `zoho.log` and the log.
    func failed(_ id: Int64?, message: String, otherwise state: String?) async -> Outcome {
        guard let id, let instance = try? await instances.load(id) else {
            logger.warning("Zoho authorization failed: \(message)")
            return Outcome(instanceID: id, connected: false, message: message, returnURL: nil)
        }
        let connected = instance.state == "connected" && instance.refreshToken != nil
        let shown = connected ? "\(message) The instance stays connected with its earlier authorization." : message
        if connected {
            try? await instances.setError(id, shown)
        } else if let state {
            try? await instances.setState(id, state, error: message)
        }
        logger.warning("Zoho authorization failed: \(shown)", metadata: ["instance": "\(id)"])
        await LogBook(store: instances.store).write(
            .warning,
            "Zoho authorization failed: \(shown)",
            companyID: instance.companyID,
            instanceID: id,
            source: "oauth"
        )
        return Outcome(
            instanceID: id,
            connected: connected,
            message: shown,
            returnURL: returnURL(instance, status: connected ? "connected" : "error", message: shown)
        )
    }

    /// The instance's return URL with the outcome in its query, ahead of any fragment (Odoo's
    /// `/web#id=…&model=…` keeps its route).
    func returnURL(_ i: Instance, status: String, message: String) -> String? {
        guard let base = i.returnURL ?? defaultReturnURL?.replacingOccurrences(of: "{id}", with: String(i.id)) else { return nil }
        let parts = base.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let head = String(parts[0])
        let query = "zoho_status=\(status)&zoho_message=" + (message.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        return head + (head.contains("?") ? "&" : "?") + query + (parts.count > 1 ? "#" + parts[1] : "")
    }
}
