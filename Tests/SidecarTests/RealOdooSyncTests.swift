import AsyncHTTPClient
import Core
import Foundation
import NIOCore
import OdooRPC
import Store
import Testing
import ZohoAPI

/// A real Odoo, when one is reachable: `ODOO_URL`, `ODOO_DB`, `ODOO_USER`, `ODOO_PASSWORD` (an API key:
/// JSON-2 takes no password) and optionally `ODOO_API` (auto, jsonrpc or json2).
enum RealOdoo {
    static let env = ProcessInfo.processInfo.environment
    static var configured: Bool { env["ODOO_URL"] != nil }
    static var settings: [String: String] {
        [
            "odoo_url": env["ODOO_URL"] ?? "", "odoo_db": env["ODOO_DB"] ?? "", "odoo_user": env["ODOO_USER"] ?? "admin",
            "odoo_api_key": env["ODOO_PASSWORD"] ?? "admin", "odoo_api": env["ODOO_API"] ?? "auto",
        ]
    }

    /// The major version, as the sidecar reads it.
    static func server() async throws -> OdooServer {
        let s = settings
        let api = OdooConnection.API(rawValue: s["odoo_api"]!) ?? .auto
        let connection = OdooConnection(url: s["odoo_url"]!, database: s["odoo_db"]!, user: s["odoo_user"]!, apiKey: s["odoo_api_key"]!, api: api)
        return try await OdooClient(connection).server()
    }

    /// A person's call, as the web client makes it: no `zoho_skip_push` in the context.
    static func user(_ model: String, _ method: String, _ args: [JSONValue], _ kwargs: [String: JSONValue] = [:]) async throws -> JSONValue {
        let s = settings
        func rpc(_ service: String, _ method: String, _ args: [JSONValue]) async throws -> JSONValue {
            var request = HTTPClientRequest(url: s["odoo_url"]! + "/jsonrpc")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: Envelope.request(id: 1, service: service, method: method, args: args).serializedBytes()))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            let body = try JSONValue.parse(try await response.body.collect(upTo: 16 << 20).readableBytesView)
            if let error = body["error"] { throw OdooFault(data: error["data"] ?? .null) ?? OdooFault(.serverError, error.serialized()) }
            return body["result"] ?? .null
        }
        let uid = try await rpc("common", "authenticate", [.string(s["odoo_db"]!), .string(s["odoo_user"]!), .string(s["odoo_api_key"]!), [:]])
        return try await rpc(
            "object",
            "execute_kw",
            [.string(s["odoo_db"]!), uid, .string(s["odoo_api_key"]!), .string(model), .string(method), .array(args), .object(kwargs)]
        )
    }
}

@Suite("Two-way sync against a real Odoo 17, 18 or 19 (runs when ODOO_URL is set)", .enabled(if: RealOdoo.configured))
struct RealOdooSyncTests {
    static func settle(_ s: TestSidecar) async throws {
        var quiet = 0
        let deadline = Date().addingTimeInterval(300)
        while quiet < 6, Date() < deadline {
            let busy = try await s.execute("zoho.job", "search_count", [[["state", "in", ["pending", "running"]]]]).intValue ?? 0
            quiet = busy == 0 ? quiet + 1 : 0
            try await Task.sleep(for: .milliseconds(150))
        }
    }

    /// What the addon does after commit.
    static func forward(_ s: TestSidecar, _ ids: [Int64], _ operation: String, values: [String: JSONValue] = [:]) async throws {
        _ = try await s.execute("zoho.job", "enqueue_push", ["res.partner", .array(ids.map { .int($0) }), .string(operation), [], .object(values)])
    }

    static func partner(email: String, series: Int) async throws -> JSONValue? {
        // Odoo 19 has no mobile on partners.
        let fields: [JSONValue] = ["name", "phone", "function", "active", "is_company", "country_id", "parent_id"] + (series < 19 ? ["mobile"] : [])
        return try await RealOdoo.user(
            "res.partner",
            "search_read",
            [[["email", "=", .string(email)]]],
            ["fields": .array(fields), "context": ["active_test": false]]
        ).arrayValue?.first
    }

    @Test("create, edit and delete both ways (char, many2one, boolean and lookup fields), then a storm of edits, against a real Odoo")
    func realOdoo() async throws {
        let nonce = String(Clock.now() % 1_000_000_000)
        let server = try await RealOdoo.server()
        let series = server.series
        func partner(email: String) async throws -> JSONValue? { try await Self.partner(email: email, series: series) }
        try await TestZoho.with { zoho in
            try await OAuthTests.withConnectable(
                .sqlite,
                zoho: zoho,
                settings: RealOdoo.settings.merging(["reconcile_interval_seconds": "0"]) { _, b in b }
            ) { s, id, _ in
                _ = try await OAuthTests.authorize(s, id)
                let channels = NotificationChannels(
                    store: s.sidecar.store,
                    instances: s.sidecar.zoho.instances,
                    client: s.sidecar.zoho.client,
                    publicURL: s.baseURL,
                    logger: s.sidecar.logger
                )
                try await channels.subscribe(id)
                func contact(_ email: String) async throws -> JSONValue? {
                    try await zoho.control("GET", "crm/eu/Contacts").arrayValue?.first { $0["Email"] == .string(email) }
                }

                // Odoo → Zoho
                let email = "ada-\(nonce)@example.com"
                let pid = try #require(
                    try await RealOdoo.user("res.partner", "create", [["name": "Ada King Lovelace", "email": .string(email)]]).intValue
                )
                try await Self.forward(s, [pid], "create")
                try await Self.settle(s)
                #expect(try await contact(email)?["Last_Name"] == "Lovelace")
                _ = try await RealOdoo.user("res.partner", "write", [[.int(pid)], ["phone": "+44 1", "function": "Analyst"]])
                try await Self.forward(s, [pid], "write")
                try await Self.settle(s)
                #expect(try await contact(email)?["Phone"] == "+44 1")
                #expect(try await contact(email)?["Title"] == "Analyst")

                // A company with a country (many2one) and a person under it (the Account_Name lookup).
                let belgium = try #require(
                    try await RealOdoo.user("res.country", "search", [[["code", "=", "BE"]]]).arrayValue?.first?.intValue
                )
                let companyName = "Analytical Engines \(nonce)"
                let company = try #require(
                    try await RealOdoo.user(
                        "res.partner",
                        "create",
                        [
                            [
                                "name": .string(companyName), "is_company": true, "country_id": .int(belgium), "city": "Leuven",
                                "comment": "<p>Gears &amp; cards</p><p>since 1834</p>",
                            ]
                        ]
                    ).intValue
                )
                try await Self.forward(s, [company], "create")
                let memail = "menabrea-\(nonce)@example.com"
                let member = try #require(
                    try await RealOdoo.user(
                        "res.partner",
                        "create",
                        [["name": "Luigi Menabrea", "email": .string(memail), "parent_id": .int(company)]]
                    ).intValue
                )
                try await Self.forward(s, [member], "create")
                try await Self.settle(s)
                let account = try await zoho.control("GET", "crm/eu/Accounts").arrayValue?.first { $0["Account_Name"] == .string(companyName) }
                #expect(account?["Billing_Country"] == "Belgium" && account?["Billing_City"] == "Leuven", "\(String(describing: account))")
                #expect(account?["Description"] == "Gears & cards\nsince 1834", "Odoo's HTML note as text")
                #expect(try await contact(memail)?["Account_Name"]?["id"] == account?["id"], "the person's account is the company's")

                // Zoho → Odoo
                let zemail = "grace-\(nonce)@example.com"
                let zid = try #require(
                    try await zoho.control("POST", "crm/eu/Contacts", ["First_Name": "Grace", "Last_Name": "Hopper", "Email": .string(zemail)])["id"]?
                        .stringValue
                )
                try await Self.settle(s)
                #expect(try await partner(email: zemail)?["name"] == "Grace Hopper")
                #expect(try await partner(email: zemail)?["is_company"] == false)
                _ = try await zoho.control("PUT", "crm/eu/Contacts/\(zid)", ["Mobile": "555", "Title": "Rear Admiral", "Mailing_Country": "Germany"])
                try await Self.settle(s)
                let grace = try await partner(email: zemail)
                #expect(grace?["function"] == "Rear Admiral")
                #expect(grace?["country_id"]?[1] == "Germany", "\(String(describing: grace))")
                if series < 19 { #expect(grace?["mobile"] == "555") }
                _ = try await zoho.control("DELETE", "crm/eu/Contacts/\(zid)")
                try await Self.settle(s)
                #expect(try await partner(email: zemail)?["active"] == false, "archived in Odoo")

                // Deleted in Odoo → deleted in Zoho.
                _ = try await RealOdoo.user("res.partner", "unlink", [[.int(pid)]])
                try await Self.forward(s, [pid], "unlink")
                try await Self.settle(s)
                #expect(try await contact(email) == nil)

                // A small storm: 20 people, 200 edits on both sides, a second apart per round.
                var emails: [String] = []
                for n in 0..<20 {
                    let e = "storm\(n)-\(nonce)@example.com"
                    let p = try #require(
                        try await RealOdoo.user("res.partner", "create", [["name": .string("Storm Person \(n)"), "email": .string(e)]]).intValue
                    )
                    try await Self.forward(s, [p], "create")
                    emails.append(e)
                }
                try await Self.settle(s)
                let started = ContinuousClock.now
                var edits = 0
                var last: [String: String] = [:]  // email → the last value written, on either side
                for round in 0..<10 {
                    for (i, e) in emails.enumerated() {
                        let value = "r\(round)-\(i)"
                        last[e] = value
                        if (round + i) % 2 == 0, let p = try await partner(email: e)?["id"]?.intValue {
                            _ = try await RealOdoo.user("res.partner", "write", [[.int(p)], ["phone": .string(value)]])
                            try await Self.forward(s, [p], "write", values: ["phone": .string(value)])
                        } else if let c = try await contact(e)?["id"]?.stringValue {
                            _ = try await zoho.control("PUT", "crm/eu/Contacts/\(c)", ["Phone": .string(value)])
                        }
                        edits += 1
                    }
                    try await Task.sleep(for: .milliseconds(1100))
                }
                _ = try await s.execute("zoho.instance", "action_sync_now", [[.int(id)]])
                try await Self.settle(s)
                let converge = ContinuousClock.now - started
                var mismatches = 0
                var lost = 0
                for e in emails {
                    let p = try await partner(email: e)
                    let c = try await contact(e)
                    if p == nil || c == nil || p?["phone"]?.stringValue != c?["Phone"]?.stringValue { mismatches += 1 }
                    if p?["phone"]?.stringValue != last[e] { lost += 1 }
                }
                #expect(lost == 0, "every record ends with its last edit")
                let contacts =
                    try await zoho.control("GET", "crm/eu/Contacts").arrayValue?.filter {
                        emails.contains($0["Email"]?.stringValue ?? "")
                    } ?? []
                let stats = try await zoho.control("GET", "stats")
                #expect(mismatches == 0)
                #expect(contacts.count == emails.count, "no duplicate in Zoho")
                #expect(stats["noop_updates"] == nil, "no echo write to Zoho")
                let failed = try await s.execute("zoho.job", "search_count", [[["state", "=", "failed"]]]).intValue ?? -1
                #expect(failed == 0)
                print(
                    "REAL_ODOO odoo=\(server.version) api=\(server.protocolName) records=\(emails.count) edits=\(edits) mismatches=\(mismatches) lost_updates=\(lost) zoho_echo_writes=\(stats["noop_updates"]?.intValue ?? 0) failed_jobs=\(failed) converge_s=\(converge.components.seconds)"
                )
            }
        }
    }
}
