import Core
import Foundation

/// Zoho Accounts' OAuth2 endpoints (facts §2): consent URL, code exchange, refresh, revoke — with
/// Zoho's habit of answering errors with HTTP 200 and an `error` key, and its legacy `expires_in` in ms.
public struct OAuthClient: Sendable {
    let http: ZohoHTTP

    public init(http: ZohoHTTP) { self.http = http }

    public struct Tokens: Sendable {
        public let accessToken: String
        public let refreshToken: String?
        public let apiDomain: String?
        public let expiresIn: Double
        public let scope: String?
    }

    public static func consentURL(accountsServer: String, clientID: String, scopes: String, redirectURI: String, state: String) -> String {
        var c = URLComponents(string: accountsServer + "/oauth/v2/auth")!
        c.queryItems = [
            URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: clientID),
            URLQueryItem(name: "scope", value: scopes), URLQueryItem(name: "redirect_uri", value: redirectURI),
            URLQueryItem(name: "access_type", value: "offline"), URLQueryItem(name: "prompt", value: "consent"),
            URLQueryItem(name: "state", value: state),
        ]
        return c.string!
    }

    public func exchange(accountsServer: String, clientID: String, clientSecret: String, redirectURI: String, code: String) async throws -> Tokens {
        try await token(
            accountsServer,
            [
                ("grant_type", "authorization_code"), ("client_id", clientID), ("client_secret", clientSecret),
                ("redirect_uri", redirectURI), ("code", code),
            ]
        )
    }

    public func refresh(accountsServer: String, clientID: String, clientSecret: String, refreshToken: String) async throws -> Tokens {
        try await token(
            accountsServer,
            [
                ("grant_type", "refresh_token"), ("client_id", clientID), ("client_secret", clientSecret),
                ("refresh_token", refreshToken),
            ]
        )
    }

    /// Revokes a refresh token (and with it its access tokens). Unknown tokens are not an error here.
    public func revoke(accountsServer: String, token: String) async throws {
        let e = try await http.send(
            .POST,
            accountsServer + "/oauth/v2/token/revoke",
            body: ZohoHTTP.form([("token", token)]),
            contentType: "application/x-www-form-urlencoded"
        )
        if e.status >= 500 { throw ZohoError(.transient, "revoking the token failed: HTTP \(e.status)", exchange: e.record) }
    }

    func token(_ accountsServer: String, _ form: [(String, String)]) async throws -> Tokens {
        let e = try await http.send(
            .POST,
            accountsServer + "/oauth/v2/token",
            body: ZohoHTTP.form(form),
            contentType: "application/x-www-form-urlencoded"
        )
        if e.status >= 500 { throw ZohoError(.transient, "Zoho Accounts answered HTTP \(e.status)", exchange: e.record) }
        guard let json = e.json else { throw ZohoError(.transient, "Zoho Accounts answered HTTP \(e.status) with no JSON", exchange: e.record) }
        // Success is the presence of access_token, whatever the status (as Zoho's own SDK decides).
        if let access = json["access_token"]?.stringValue {
            var expires = json["expires_in"]?.doubleValue ?? 3600
            if json["expires_in_sec"] != nil { expires = json["expires_in_sec"]?.doubleValue ?? expires / 1000 }
            return Tokens(
                accessToken: access,
                refreshToken: json["refresh_token"]?.stringValue,
                apiDomain: json["api_domain"]?.stringValue,
                expiresIn: expires,
                scope: json["scope"]?.stringValue
            )
        }
        let error = json["error"]?.stringValue ?? "unknown"
        switch error {
        case "Access Denied":
            throw ZohoError(
                .throttled(retryAfter: 600),
                "Zoho throttled token requests (Access Denied: too many requests); waiting before trying again",
                exchange: e.record
            )
        case "invalid_code":
            throw ZohoError(
                .needsReauth,
                "Zoho refused the grant or refresh token (invalid_code): it is expired, used or revoked; authorize the instance again",
                exchange: e.record
            )
        case "invalid_client":
            throw ZohoError(
                .rejected(code: error),
                "Zoho does not know this client id in this data centre (invalid_client): check the client id and the data centre",
                exchange: e.record
            )
        case "invalid_client_secret":
            throw ZohoError(
                .rejected(code: error),
                "Zoho refused the client secret (invalid_client_secret): set the secret from Zoho's API console",
                exchange: e.record
            )
        case "invalid_redirect_uri":
            throw ZohoError(
                .rejected(code: error),
                "the redirect URI does not match the one registered in Zoho's API console (invalid_redirect_uri)",
                exchange: e.record
            )
        default:
            throw ZohoError(.rejected(code: error), "Zoho Accounts refused the token request: \(error)", exchange: e.record)
        }
    }
}
