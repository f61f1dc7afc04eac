import Core
import Foundation

/// Zoho Accounts: consent, grant codes, tokens, revocation — with Zoho's throttles and error bodies.
extension SimState {
    static let throttleBody =
        #"{"error_description":"You have made too many requests continuously. Please try again after some time.","error":"Access Denied","status":"failure"}"#

    func accounts(_ r: SimRequest) -> SimResponse {
        let route = Array(r.path.dropFirst())  // after "accounts"
        switch (r.method, route) {
        case ("GET", ["oauth", "v2", "auth"]): return authorize(r)
        case ("POST", ["oauth", "v2", "auth", "consent"]): return consent(r)
        case ("POST", ["oauth", "v2", "token"]): return tokenEndpoint(r)
        case ("POST", ["oauth", "v2", "token", "revoke"]): return revoke(r.params["token"])
        case ("GET", ["oauth", "serverinfo"]):
            return .json(
                200,
                [
                    "result": "success",
                    "locations": .object(Dictionary(uniqueKeysWithValues: dataCenters.map { ($0, JSONValue.string(accountsServer($0))) })),
                ]
            )
        default: return .html(404, "<h1>Not Found</h1>")
        }
    }

    /// GET /oauth/v2/auth: checks the request, then shows the consent page (or approves at once).
    func authorize(_ r: SimRequest) -> SimResponse {
        let q = r.query
        guard let clientID = q["client_id"], let client = clients[clientID], client.dcs.contains(r.dc) else {
            return .html(400, page("Invalid Client", "The client_id is not registered in the \(r.dc) data centre."))
        }
        guard q["response_type"] == "code" else { return .html(400, page("Invalid Request", "response_type must be code.")) }
        guard let redirect = q["redirect_uri"], client.redirectURIs.contains(redirect) else {
            return .html(400, page("Invalid Redirect Uri", "The redirect_uri does not match the client's registered URIs."))
        }
        guard let scope = q["scope"], !scope.isEmpty else { return .html(400, page("Invalid Scope", "scope is required.")) }
        if config.autoApprove { return approve(r.dc, q, approved: true) }
        let hidden = q.keys.sorted().map { "<input type=\"hidden\" name=\"\(escape($0))\" value=\"\(escape(q[$0]!))\">" }.joined()
        return .html(
            200,
            page(
                "Zoho Simulator — Authorize \(escape(client.name))",
                """
                <p><b>\(escape(client.name))</b> would like to access your Zoho account (\(r.dc.uppercased()) data centre):</p>
                <ul>\(scope.split(separator: ",").map { "<li>\(escape(String($0)))</li>" }.joined())</ul>
                <form method="post" action="/\(r.dc)/accounts/oauth/v2/auth/consent">\(hidden)
                <button name="decision" value="approve">Accept</button> <button name="decision" value="deny">Reject</button></form>
                """
            )
        )
    }

    func consent(_ r: SimRequest) -> SimResponse {
        let f = r.form
        guard let clientID = f["client_id"], let client = clients[clientID], client.dcs.contains(r.dc),
            let redirect = f["redirect_uri"], client.redirectURIs.contains(redirect)
        else { return .html(400, page("Invalid Request", "The consent form is incomplete.")) }
        return approve(r.dc, f, approved: f["decision"] == "approve")
    }

    func approve(_ dc: String, _ p: [String: String], approved: Bool) -> SimResponse {
        let redirect = p["redirect_uri"]!
        var items: [(String, String)] = []
        let now = now()
        let recent = (grantTimes[p["client_id"]!] ?? []).filter { now - $0 < 600_000_000 }
        if !approved || recent.count >= config.grantLimitPer10Minutes {
            items.append(("error", "access_denied"))
        } else {
            let code = token()
            grants[code] = Grant(
                code: code,
                clientID: p["client_id"]!,
                dc: dc,
                scopes: scopes(p["scope"] ?? ""),
                redirectURI: redirect,
                offline: p["access_type"] == "offline",
                expiresAt: now + Int64(config.grantTTLSeconds * 1e6),
                used: false
            )
            grantTimes[p["client_id"]!] = recent + [now]
            items += [("code", code), ("location", dc), ("accounts-server", accountsServer(dc))]
        }
        if let state = p["state"] { items.append(("state", state)) }
        var components = URLComponents(string: redirect)!
        components.queryItems = (components.queryItems ?? []) + items.map { URLQueryItem(name: $0.0, value: $0.1) }
        // URLComponents leaves ':' and '/' unescaped in values; Zoho escapes the accounts-server URL.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(
            of: "/",
            with: "%2F"
        )
        return .redirect(components.string!)
    }

    func tokenEndpoint(_ r: SimRequest) -> SimResponse {
        let p = r.params
        let error = { (code: String) in SimResponse.json(200, ["error": .string(code)]) }
        // Zoho checks the client before anything it brings: an unknown client_id is invalid_client
        // whatever its code or refresh token (shared/zoho-api-facts.md, token errors).
        let grantTypes = ["authorization_code", "refresh_token"]
        if grantTypes.contains(p["grant_type"] ?? ""), clients[p["client_id"] ?? ""]?.dcs.contains(r.dc) != true {
            return error("invalid_client")
        }
        switch p["grant_type"] {
        case "authorization_code":
            guard let code = p["code"], var grant = grants[code] else { return error("invalid_code") }
            guard grant.dc == r.dc else { return error("invalid_client") }
            guard let client = clients[p["client_id"] ?? ""], client.id == grant.clientID else {
                return error("invalid_client")
            }
            guard client.secret == p["client_secret"] else { return error("invalid_client_secret") }
            guard !grant.used, grant.expiresAt > now() else { return error("invalid_code") }
            guard p["redirect_uri"] == grant.redirectURI else { return error("invalid_redirect_uri") }
            grant.used = true
            grants[code] = grant
            var refresh: String?
            if grant.offline {
                let rt = token()
                refreshTokens[rt] = RefreshToken(
                    token: rt,
                    clientID: client.id,
                    dc: r.dc,
                    scopes: grant.scopes,
                    createdAt: now(),
                    revoked: false,
                    accessTokens: [],
                    requestTimes: [],
                    blockedUntil: nil
                )
                refresh = rt
                evictRefreshTokens(client: client.id, dc: r.dc)
            }
            let at = issueAccessToken(refresh: refresh, dc: r.dc, scopes: grant.scopes)
            return .json(200, tokenBody(at, refresh: refresh, dc: r.dc, scopes: grant.scopes))
        case "refresh_token":
            guard let rt = p["refresh_token"], var record = refreshTokens[rt], !record.revoked, record.dc == r.dc else {
                return error("invalid_code")
            }
            guard let client = clients[p["client_id"] ?? ""], client.id == record.clientID else { return error("invalid_client") }
            guard client.secret == p["client_secret"] else { return error("invalid_client_secret") }
            let now = now()
            if let until = record.blockedUntil {
                if now < until {
                    // Every request while blocked restarts the quiet period, as Zoho's throttle does.
                    record.blockedUntil = now + Int64(config.throttleQuietSeconds * 1e6)
                    refreshTokens[rt] = record
                    return .raw(config.throttleStatus, Self.throttleBody)
                }
                record.blockedUntil = nil
                record.requestTimes = []
            }
            record.requestTimes = record.requestTimes.filter { now - $0 < Int64(config.throttleWindowSeconds * 1e6) }
            if record.requestTimes.count >= config.refreshLimit {
                record.blockedUntil = now + Int64(config.throttleQuietSeconds * 1e6)
                refreshTokens[rt] = record
                return .raw(config.throttleStatus, Self.throttleBody)
            }
            record.requestTimes.append(now)
            refreshTokens[rt] = record
            let at = issueAccessToken(refresh: rt, dc: r.dc, scopes: record.scopes)
            return .json(200, tokenBody(at, refresh: nil, dc: r.dc, scopes: record.scopes))
        default:
            return error("unsupported_grant_type")
        }
    }

    func tokenBody(_ at: String, refresh: String?, dc: String, scopes: [String]) -> JSONValue {
        var body: [String: JSONValue] = [
            "access_token": .string(at), "api_domain": .string(apiDomain(dc)), "token_type": "Bearer",
            "scope": .string(scopes.joined(separator: " ")),
        ]
        let ttl = Int64(config.accessTokenTTLSeconds)
        if config.legacyExpiresIn {
            body["expires_in_sec"] = .int(ttl)
            body["expires_in"] = .int(ttl * 1000)
        } else {
            body["expires_in"] = .int(ttl)
        }
        if let refresh { body["refresh_token"] = .string(refresh) }
        return .object(body)
    }

    func issueAccessToken(refresh: String?, dc: String, scopes: [String]) -> String {
        let at = token()
        accessTokens[at] = AccessToken(
            token: at,
            refreshToken: refresh,
            dc: dc,
            scopes: scopes,
            expiresAt: now() + Int64(config.accessTokenTTLSeconds * 1e6),
            revoked: false
        )
        if let refresh, var record = refreshTokens[refresh] {
            record.accessTokens.append(at)
            // The 11th live access token invalidates the oldest.
            while record.accessTokens.count > config.maxAccessTokensPerRefreshToken {
                accessTokens[record.accessTokens.removeFirst()]?.revoked = true
            }
            refreshTokens[refresh] = record
        }
        return at
    }

    /// The 21st refresh token of a user silently deletes the oldest.
    func evictRefreshTokens(client: String, dc: String) {
        let mine = refreshTokens.values.filter { $0.clientID == client && $0.dc == dc && !$0.revoked }.sorted { $0.createdAt < $1.createdAt }
        for old in mine.dropLast(config.maxRefreshTokensPerUser) { revokeRefreshToken(old.token) }
    }

    func revokeRefreshToken(_ token: String) {
        guard var record = refreshTokens[token] else { return }
        record.revoked = true
        for at in record.accessTokens { accessTokens[at]?.revoked = true }
        refreshTokens[token] = record
    }

    func revoke(_ token: String?) -> SimResponse {
        guard let token else { return .json(400, ["error": "invalid_token", "status": "failure"]) }
        if let record = refreshTokens[token], !record.revoked {
            revokeRefreshToken(token)
            return .json(200, ["status": "success"])
        }
        if let at = accessTokens[token], !at.revoked {
            accessTokens[token]?.revoked = true
            return .json(200, ["status": "success"])
        }
        return .json(400, ["error": "invalid_token", "status": "failure"])
    }

    /// The live access token presented with an API call, if it is valid at this data centre.
    func bearer(_ r: SimRequest) -> AccessToken? {
        guard let header = r.header("authorization") else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "Zoho-oauthtoken" || (config.acceptBearer && parts[0].lowercased() == "bearer") else { return nil }
        guard let at = accessTokens[parts[1]], !at.revoked, at.dc == r.dc, at.expiresAt > now() else { return nil }
        return at
    }

    func scopes(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
    }

    func page(_ title: String, _ body: String) -> String {
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>\(escape(title))</title></head><body><h1>\(escape(title))</h1>\(body)</body></html>"
    }

    func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
