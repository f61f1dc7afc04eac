import Core
import Foundation
import Simulator
import Testing

@Suite("Simulator: Zoho Accounts (OAuth2)")
struct AccountsTests {
    @Test("consent redirects with code, location, accounts-server and state; the code buys Zoho's token response")
    func codeFlow() async throws {
        try await TestSim.with { s in
            let c = try await s.client()
            let q = try await s.consent(c, dc: "eu")
            #expect(q["location"] == "eu")
            #expect(q["state"] == "st8")
            #expect(q["accounts-server"] == "\(s.base)/eu/accounts")
            let code = try #require(q["code"])
            #expect(code.hasPrefix("1000."))
            let t = try await s.exchange(c, code: code, dc: "eu")
            #expect(t.status == 200)
            #expect(t.json["api_domain"] == .string("\(s.base)/eu/api"))
            #expect(t.json["token_type"] == "Bearer")
            #expect(t.json["expires_in"] == 3600)
            #expect(t.json["refresh_token"]?.stringValue?.hasPrefix("1000.") == true)
            #expect(t.json["access_token"]?.stringValue?.hasPrefix("1000.") == true)
        }
    }

    @Test("the consent page is shown unless auto-approve is on; Reject redirects with error=access_denied")
    func consentPage() async throws {
        try await TestSim.with({ $0.autoApprove = false }) { s in
            let c = try await s.client()
            let q = "response_type=code&client_id=\(c.id)&scope=ZohoCRM.modules.ALL&redirect_uri=\(TestSim.redirect)&access_type=offline&state=xyz"
            let page = try await s.request("GET", "/us/accounts/oauth/v2/auth?\(q)")
            #expect(page.status == 200)
            #expect(page.text.contains("ZohoCRM.modules.ALL"))
            let form = ["client_id": c.id, "redirect_uri": TestSim.redirect, "scope": "ZohoCRM.modules.ALL", "state": "xyz", "response_type": "code"]
            let denied = try await s.request("POST", "/us/accounts/oauth/v2/auth/consent", form: form.merging(["decision": "deny"]) { a, _ in a })
            #expect(denied.status == 302)
            #expect(denied.headers["location"]?.contains("error=access_denied") == true)
            #expect(denied.headers["location"]?.contains("state=xyz") == true)
            let approved = try await s.request(
                "POST",
                "/us/accounts/oauth/v2/auth/consent",
                form: form.merging(["decision": "approve"]) { a, _ in a }
            )
            #expect(approved.headers["location"]?.contains("code=1000.") == true)
        }
    }

    @Test("a bad client or redirect URI never redirects: Zoho shows an error page")
    func badAuthorizeRequests() async throws {
        try await TestSim.with { s in
            let c = try await s.client()
            #expect(
                try await s.request("GET", "/us/accounts/oauth/v2/auth?response_type=code&client_id=nope&scope=x&redirect_uri=\(TestSim.redirect)")
                    .status == 400
            )
            #expect(
                try await s.request(
                    "GET",
                    "/us/accounts/oauth/v2/auth?response_type=code&client_id=\(c.id)&scope=x&redirect_uri=http://evil.example/cb"
                ).status == 400
            )
        }
    }

    @Test("token errors come with HTTP 200 and Zoho's error codes")
    func tokenErrors() async throws {
        try await TestSim.with { s in
            let c = try await s.client()
            let code = try await s.consent(c)["code"]!
            #expect(try await s.exchange(c, code: code, secret: "wrong").text == #"{"error":"invalid_client_secret"}"#)
            #expect(try await s.exchange(TestSim.Client(id: "1000.NOPE", secret: "x"), code: code).text == #"{"error":"invalid_client"}"#)
            #expect(try await s.exchange(c, code: "1000.deadbeef00").text == #"{"error":"invalid_code"}"#)
            let stranger = TestSim.Client(id: "1000.UNKNOWN", secret: "x")
            #expect(
                try await s.exchange(stranger, code: "1000.deadbeef00").text == #"{"error":"invalid_client"}"#,
                "the client is checked before the code"
            )
            #expect(try await s.refresh(stranger, "1000.nothing").text == #"{"error":"invalid_client"}"#)
            let wrongRedirect = try await s.request(
                "POST",
                "/us/accounts/oauth/v2/token",
                form: [
                    "grant_type": "authorization_code", "client_id": c.id, "client_secret": c.secret, "redirect_uri": "http://other/cb", "code": code,
                ]
            )
            #expect(wrongRedirect.text == #"{"error":"invalid_redirect_uri"}"#)
            #expect(wrongRedirect.status == 200)
            #expect(try await s.exchange(c, code: code).status == 200)
            #expect(try await s.exchange(c, code: code).text == #"{"error":"invalid_code"}"#, "grant codes are single-use")
        }
    }

    @Test("a code exchanged at another data centre's accounts server is invalid_client")
    func wrongDataCentre() async throws {
        try await TestSim.with { s in
            let c = try await s.client()
            let code = try await s.consent(c, dc: "eu")["code"]!
            #expect(try await s.exchange(c, code: code, dc: "us").text == #"{"error":"invalid_client"}"#)
            let t = try await s.exchange(c, code: code, dc: "eu").json
            let at = t["access_token"]!.stringValue!
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).status == 401, "tokens are per data centre")
            #expect(try await s.request("GET", "/eu/api/crm/v8/Contacts?fields=Email", token: at).status == 204)
        }
    }

    @Test("grant codes expire after 120 s")
    func codeExpiry() async throws {
        try await TestSim.with { s in
            let c = try await s.client()
            let code = try await s.consent(c)["code"]!
            _ = try await s.control("POST", "clock", ["advance_seconds": 121])
            #expect(try await s.exchange(c, code: code).text == #"{"error":"invalid_code"}"#)
        }
    }

    @Test("access tokens expire; refresh returns a new one without a refresh token; legacy expires_in is in ms")
    func expiryAndRefresh() async throws {
        try await TestSim.with({ $0.accessTokenTTLSeconds = 2 }) { s in
            let (c, at, rt) = try await s.connect()
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).status == 204)
            _ = try await s.control("POST", "clock", ["advance_seconds": 3])
            let expired = try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at)
            #expect(expired.status == 401)
            #expect(expired.text == #"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#)
            let r = try await s.refresh(c, rt).json
            #expect(r["refresh_token"] == nil, "Zoho does not rotate refresh tokens")
            #expect(r["expires_in"] == 2)
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: r["access_token"]!.stringValue!).status == 204)
            _ = try await s.control("POST", "config", ["legacyExpiresIn": true])
            let legacy = try await s.refresh(c, rt).json
            #expect(legacy["expires_in_sec"] == 2)
            #expect(legacy["expires_in"] == 2000)
        }
    }

    @Test("the 11th refresh in 10 minutes is refused with Zoho's Access Denied body until a quiet period passes")
    func refreshThrottle() async throws {
        try await TestSim.with { s in
            let (c, _, rt) = try await s.connect()
            for _ in 0..<10 { #expect(try await s.refresh(c, rt).json["access_token"] != nil) }
            let denied = try await s.refresh(c, rt)
            #expect(denied.status == 400)
            #expect(
                denied.text
                    == #"{"error_description":"You have made too many requests continuously. Please try again after some time.","error":"Access Denied","status":"failure"}"#
            )
            _ = try await s.control("POST", "clock", ["advance_seconds": 300])
            #expect(try await s.refresh(c, rt).status == 400, "asking again while blocked restarts the quiet period")
            _ = try await s.control("POST", "clock", ["advance_seconds": 599])
            #expect(try await s.refresh(c, rt).status == 400)
            _ = try await s.control("POST", "clock", ["advance_seconds": 601])
            #expect(try await s.refresh(c, rt).json["access_token"] != nil, "lifted after 10 quiet minutes")
        }
    }

    @Test("the 21st refresh token evicts the oldest; the 11th access token invalidates the oldest")
    func tokenLimits() async throws {
        try await TestSim.with({
            $0.refreshLimit = 100
            $0.grantLimitPer10Minutes = 100
        }) { s in
            let c = try await s.client()
            var refreshTokens: [String] = []
            for _ in 0..<21 {
                let code = try await s.consent(c)["code"]!
                refreshTokens.append(try await s.exchange(c, code: code).json["refresh_token"]!.stringValue!)
            }
            #expect(try await s.refresh(c, refreshTokens[0]).text == #"{"error":"invalid_code"}"#)
            #expect(try await s.refresh(c, refreshTokens[1]).json["access_token"] != nil)

            let rt = refreshTokens[20]
            var accessTokens: [String] = []
            for _ in 0..<11 { accessTokens.append(try await s.refresh(c, rt).json["access_token"]!.stringValue!) }
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: accessTokens[0]).status == 401)
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: accessTokens[10]).status == 204)
        }
    }

    @Test("revoking a refresh token kills its access tokens; refreshing it then is invalid_code")
    func revoke() async throws {
        try await TestSim.with { s in
            let (c, at, rt) = try await s.connect()
            let ok = try await s.request("POST", "/us/accounts/oauth/v2/token/revoke", form: ["token": rt])
            #expect(ok.json == ["status": "success"])
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).status == 401)
            #expect(try await s.refresh(c, rt).text == #"{"error":"invalid_code"}"#)
            #expect(try await s.request("POST", "/us/accounts/oauth/v2/token/revoke?token=1000.nothing").status == 400)
        }
    }

    @Test("more than 10 grant codes in 10 minutes: consent answers access_denied")
    func grantThrottle() async throws {
        try await TestSim.with { s in
            let c = try await s.client()
            for _ in 0..<10 { #expect(try await s.consent(c)["code"] != nil) }
            #expect(try await s.consent(c)["error"] == "access_denied")
        }
    }

    @Test("serverinfo lists every data centre's accounts server, UK included when enabled")
    func serverInfo() async throws {
        try await TestSim.with { s in
            let info = try await s.request("GET", "/us/accounts/oauth/serverinfo").json
            for dc in ["us", "eu", "in", "au", "jp", "ca", "sa", "cn", "uk"] {
                #expect(info["locations"]?[dc] == .string("\(s.base)/\(dc)/accounts"))
            }
        }
        try await TestSim.with({ $0.enableUK = false }) { s in
            let status = try await s.request("GET", "/uk/accounts/oauth/serverinfo").status
            #expect(status == 404)
        }
    }
}
