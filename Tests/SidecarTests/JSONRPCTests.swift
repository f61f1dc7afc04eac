import Core
import Foundation
import OdooRPC
import Store
import Testing

/// The sidecar answers Odoo's JSON-RPC exactly as Odoo would, over real HTTP, on both engines.
@Suite("JSON-RPC server")
struct JSONRPCTests {
    @Test("common.version names the sidecar and speaks protocol 1", arguments: TestStores.engines)
    func version(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            let response = try await s.rpc("common", "version", [])
            #expect(response["jsonrpc"] == "2.0")
            #expect(response["id"] == 7)
            #expect(response["result"]?["protocol_version"] == 1)
            #expect(response["result"]?["server_name"] == "zoho-sidecar")
        }
    }

    @Test("authenticate and login return the uid for a live key and false otherwise", arguments: TestStores.engines)
    func authenticate(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            #expect(try await s.rpc("common", "authenticate", ["db", "tests", .string(s.apiKey), [:]])["result"] == .int(s.uid))
            #expect(try await s.rpc("common", "login", ["db", "tests", .string(s.apiKey)])["result"] == .int(s.uid))
            #expect(try await s.rpc("common", "authenticate", ["db", "tests", "zsk_wrongwrongwrongwrong", [:]])["result"] == false)
            #expect(try await s.rpc("common", "authenticate", ["db", "someone-else", .string(s.apiKey), [:]])["result"] == false)
            _ = try await s.sidecar.keys.revoke("tests")
            #expect(try await s.rpc("common", "login", ["db", "tests", .string(s.apiKey)])["result"] == false)
        }
    }

    @Test("create, read, search_read, write and unlink behave as Odoo's ORM", arguments: TestStores.engines)
    func crud(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            let id = try #require(
                try await s.execute("zoho.instance", "create", [["name": "Acme EU", "data_center": "eu"]], companies: [1]).intValue
            )
            let ids = try await s.execute("zoho.instance", "create", [[["name": "B"], ["name": "C"]]], companies: [1])
            #expect(ids.arrayValue?.count == 2)

            let rows = try await s.execute(
                "zoho.instance",
                "read",
                [[.int(id)]],
                ["fields": ["name", "data_center", "state", "apps", "company_id", "token_expiry"]]
            )
            let row = try #require(rows.arrayValue?.first)
            #expect(row["name"] == "Acme EU")
            #expect(row["data_center"] == "eu")
            #expect(row["state"] == "draft")
            #expect(row["apps"] == ["crm"])
            #expect(row["company_id"] == 1)
            #expect(row["token_expiry"] == false, "empty values are false, not null")

            #expect(try await s.execute("zoho.instance", "write", [[.int(id)], ["name": "Acme"]]) == true)
            let found = try await s.execute("zoho.instance", "search_read", [[["name", "=", "Acme"]]], ["fields": ["name"]])
            #expect(found == [["id": .int(id), "name": "Acme"]])

            #expect(try await s.execute("zoho.instance", "search_count", [[]]) == 3)
            #expect(try await s.execute("zoho.instance", "unlink", [[.int(id)]]) == true)
            #expect(try await s.execute("zoho.instance", "search_count", [[]]) == 2)
        }
    }

    @Test("domains with nested |, ! and every operator select the right records", arguments: TestStores.engines)
    func domains(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            for (name, dc, edition) in [
                ("alpha", "us", "free"), ("Beta", "eu", "standard"), ("gamma", "eu", "enterprise"), ("delta", "in", "enterprise"),
            ] {
                _ = try await s.execute(
                    "zoho.instance",
                    "create",
                    [["name": .string(name), "data_center": .string(dc), "edition": .string(edition)]]
                )
            }
            func names(_ domain: JSONValue, order: String = "name") async throws -> [String] {
                try await s.execute("zoho.instance", "search_read", [domain], ["fields": ["name"], "order": .string(order)])
                    .arrayValue!.compactMap { $0["name"]?.stringValue }
            }
            #expect(try await names(["|", ["data_center", "=", "us"], ["data_center", "=", "in"]]) == ["alpha", "delta"])
            #expect(try await names(["!", ["data_center", "=", "eu"]]) == ["alpha", "delta"])
            #expect(try await names(["&", ["data_center", "=", "eu"], "!", ["edition", "=", "standard"]]) == ["gamma"])
            #expect(try await names([["name", "ilike", "BET"]]) == ["Beta"])
            #expect(try await names([["name", "like", "bet"]]) == [], "like is case-sensitive")
            #expect(try await names([["name", "=like", "%ta"]]) == ["Beta", "delta"])
            #expect(try await names([["name", "=ilike", "b%"]]) == ["Beta"])
            #expect(try await names([["name", "not ilike", "a"]]) == [])
            #expect(try await names([["data_center", "in", ["us", "eu"]], ["edition", "not in", ["free"]]]) == ["Beta", "gamma"])
            #expect(try await names([["data_center", "!=", "eu"]]) == ["alpha", "delta"])
            #expect(try await names([["client_id", "=", false]]).count == 4)
            #expect(try await names([["edition", "=?", false]]).count == 4, "=? with False is always true")
            #expect(try await names([["id", ">", 2], ["id", "<=", 3]]) == ["gamma"])
            #expect(try await names([["create_date", ">=", "2000-01-01 00:00:00"]]).count == 4)
            #expect(try await names([], order: "data_center desc, name") == ["alpha", "delta", "Beta", "gamma"])
            let page = try await s.execute("zoho.instance", "search", [[]], ["offset": 1, "limit": 2, "order": "name"])
            #expect(page.arrayValue?.count == 2)
            #expect(try await s.execute("zoho.instance", "search", [[]], ["count": true]) == 4)
        }
    }

    @Test("hostile strings in every filter are data, not SQL", arguments: TestStores.engines)
    func injection(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            let hostile = "name'; DROP TABLE instances; --"
            _ = try await s.execute("zoho.instance", "create", [["name": .string(hostile)]])
            for op in ["=", "!=", "like", "ilike", "not like", "=like", "in"] {
                let value: JSONValue = op == "in" ? [.string(hostile)] : .string(hostile)
                _ = try await s.execute("zoho.instance", "search_read", [[["name", .string(op), value]]], ["fields": ["name"]])
            }
            let found = try await s.execute("zoho.instance", "search_read", [[["name", "=", .string(hostile)]]], ["fields": ["name"]])
            #expect(found.arrayValue?.first?["name"] == .string(hostile))
            await expectFault(.valueError) { try await s.execute("zoho.instance", "search", [[]], ["order": "name; DROP TABLE instances"]) }
            await expectFault(.valueError) { try await s.execute("zoho.instance", "search_read", [[]], ["fields": ["name, (SELECT 1)"]]) }
            #expect(try await s.execute("zoho.instance", "search_count", [[]]) == 1, "the table is still there")
        }
    }

    @Test("allowed_company_ids limits every read and write", arguments: TestStores.engines)
    func companyIsolation(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            let mine = try #require(try await s.execute("zoho.instance", "create", [["name": "mine"]], companies: [1]).intValue)
            let theirs = try #require(try await s.execute("zoho.instance", "create", [["name": "theirs"]], companies: [2]).intValue)
            #expect(try await s.execute("zoho.instance", "search", [[]], companies: [1]) == [.int(mine)])
            #expect(try await s.execute("zoho.instance", "search_count", [[]], companies: [1, 2]) == 2)
            await expectFault(.accessError) { try await s.execute("zoho.instance", "read", [[.int(theirs)]], companies: [1]) }
            await expectFault(.accessError) { try await s.execute("zoho.instance", "write", [[.int(theirs)], ["name": "x"]], companies: [1]) }
            await expectFault(.accessError) { try await s.execute("zoho.instance", "unlink", [[.int(theirs)]], companies: [1]) }
            await expectFault(.accessError) { try await s.execute("zoho.instance", "create", [["name": "x", "company_id": 2]], companies: [1]) }
            await expectFault(.accessError) { try await s.execute("zoho.instance", "write", [[.int(mine)], ["company_id": 2]], companies: [1]) }
            await expectFault(.accessError) {
                try await s.execute("zoho.job", "create", [["kind": "noop", "instance_id": .int(theirs)]], companies: [1])
            }
            let theirName = try await s.execute("zoho.instance", "read", [[.int(theirs)], ["name"]], companies: [2])
            #expect(theirName.arrayValue?.first?["name"] == "theirs", "nothing was changed by the refused calls")
        }
    }

    @Test("each error kind arrives in Odoo's envelope with HTTP 200", arguments: TestStores.engines)
    func errorKinds(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            let id = try #require(try await s.execute("zoho.instance", "create", [["name": "x"]]).intValue)
            await expectFault(.accessDenied) { try await s.execute("zoho.instance", "search", [[]], key: "zsk_notavalidkeyatall") }
            await expectFault(.keyError) { try await s.execute("no.such.model", "search", [[]]) }
            await expectFault(.valueError) { try await s.execute("zoho.instance", "search", [[["nofield", "=", 1]]]) }
            await expectFault(.valueError) { try await s.execute("zoho.instance", "search", [["|"]]) }
            await expectFault(.valueError) { try await s.execute("zoho.instance", "no_such_method", [[]]) }
            await expectFault(.validationError) { try await s.execute("zoho.instance", "write", [[.int(id)], ["data_center": "mars"]]) }
            await expectFault(.validationError) { try await s.execute("zoho.instance", "write", [[.int(id)], ["name": false]]) }
            await expectFault(.missingError) { try await s.execute("zoho.instance", "read", [[999_999]]) }
            await expectFault(.userError) { try await s.execute("zoho.instance", "write", [[.int(id)], ["state": "connected"]]) }
            await expectFault(.accessError) { try await s.execute("zoho.webhook.event", "create", [["app": "crm"]]) }

            let raw = try await s.rpc("object", "execute_kw", ["db", .int(s.uid), .string(s.apiKey), "zoho.instance", "read", [[999_999]], [:]])
            #expect(raw["error"]?["code"] == 200)
            #expect(raw["error"]?["message"] == "Odoo Server Error")
            #expect(raw["error"]?["data"]?["name"] == "odoo.exceptions.MissingError")
            #expect(raw["error"]?["data"]?["arguments"]?.arrayValue?.count == 1)
            let unknownService = try await s.rpc("nosuch", "version", [])
            #expect(unknownService["error"]?["data"]?["name"] == "builtins.KeyError")
        }
    }

    @Test("malformed, mis-shaped and oversized bodies get a clear JSON error and the server stays up", arguments: TestStores.engines)
    func badBodies(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["max_body_bytes": "4096"]) { s in
            let malformed = try await s.post("/jsonrpc", body: "{\"jsonrpc\": \"2.0\", \"params\": {")
            #expect(malformed.status == 400)
            #expect(malformed.body["error"]?["data"]?["name"] == "werkzeug.exceptions.BadRequest")

            let noParams = try await s.post("/jsonrpc", body: "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"id\":3}")
            #expect(noParams.status == 400)
            #expect(noParams.body["id"] == 3)

            let notList = try await s.post(
                "/jsonrpc",
                body: "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"params\":{\"service\":\"common\",\"method\":\"version\",\"args\":5},\"id\":1}"
            )
            #expect(notList.status == 400)

            let big = try await s.post("/jsonrpc", body: "{\"pad\":\"" + String(repeating: "x", count: 10_000) + "\"}")
            #expect(big.status == 413)
            #expect(big.body["error"]?["code"] == 413, "the envelope's code says what the HTTP status says")
            #expect(big.body["error"]?["data"]?["name"] == "werkzeug.exceptions.RequestEntityTooLarge")

            let binary = try await s.post("/jsonrpc", body: String(decoding: [0xff, 0xfe, 0x00, 0x01], as: UTF8.self))
            #expect(binary.status == 400)

            #expect(try await s.rpc("common", "version", [])["result"] != nil, "still serving")
        }
    }

    @Test("fields_get describes every field with Odoo's attributes", arguments: TestStores.engines)
    func fieldsGet(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            let fields = try await s.execute("zoho.job", "fields_get", [], ["attributes": ["type", "string", "selection", "relation"]])
            #expect(fields["state"]?["type"] == "selection")
            #expect(fields["state"]?["selection"]?.arrayValue?.contains(["waiting", "Waiting for re-authorization"]) == true)
            #expect(fields["instance_id"]?["relation"] == "zoho.instance")
            #expect(fields["payload"]?["type"] == "json")
            #expect(fields["state"]?["readonly"] == nil, "only the asked attributes")
        }
    }

    @Test("limit and offset take a whole number of 0 or more, or false: anything else is refused in words, not ignored")
    func limitsAndOffsets() async throws {
        try await TestSidecar.with(.sqlite, settings: ["workers": "false"]) { s in
            for (name, value) in [("limit", JSONValue.string("abc")), ("limit", -1), ("offset", -5), ("offset", 1.5), ("limit", "5")] {
                let fault = await expectFault(.valueError) { try await s.execute("zoho.job", "search_read", [[]], [name: value]) }
                #expect(
                    fault?.message.hasPrefix("\(name) must be a whole number of 0 or more, or false for none") == true,
                    "\(String(describing: fault))"
                )
            }
            for kwargs: [String: JSONValue] in [["limit": false], ["limit": .null, "offset": 0], ["limit": 10, "offset": 2]] {
                let rows = try await s.execute("zoho.job", "search_read", [[]], kwargs)
                #expect(rows.arrayValue != nil, "\(kwargs)")
            }
        }
    }

    @Test("purge_done with an absurd number of days is refused in words, and the sidecar keeps serving")
    func purgeDoneDays() async throws {
        try await TestSidecar.with(.sqlite) { s in
            for days: JSONValue in [1e12, -1] {
                await expectFault(.valueError) { try await s.execute("zoho.job", "purge_done", [], ["days": days]) }
            }
            let purged = try await s.execute("zoho.job", "purge_done", [], ["days": 30])
            #expect(purged.intValue == 0)
        }
    }

    @Test("write-only secrets are stored sealed and never come back", arguments: TestStores.engines)
    func secretsAreWriteOnly(engine: Engine) async throws {
        let secret = "cs-\(UUID().uuidString)-very-secret"
        TestLog.secret(secret)
        try await TestSidecar.with(engine) { s in
            let id = try #require(try await s.execute("zoho.instance", "create", [["name": "x", "client_secret": .string(secret)]]).intValue)
            let row = try await s.execute("zoho.instance", "read", [[.int(id)]]).arrayValue!.first!
            #expect(row["client_secret"] == false)
            #expect(row["client_secret_set"] == true)
            #expect(row["webhook_secret_set"] == true, "a webhook secret is generated on create")
            #expect(!row.serialized().contains(secret))
            let raw = try await s.store_dump()
            #expect(!raw.contains(secret), "the database holds the secret only sealed")

            // A client that reads a record and writes every field back sends the secret as false: it stays.
            _ = try await s.execute("zoho.instance", "write", [[.int(id)], ["name": "y", "client_secret": false]])
            _ = try await s.execute("zoho.instance", "write", [[.int(id)], ["client_secret": .null, "odoo_api_key": ""]])
            let after = try await s.execute("zoho.instance", "read", [[.int(id)], ["name", "client_secret_set"]]).arrayValue!.first!
            #expect(after["name"] == "y" && after["client_secret_set"] == true, "\(after)")
            let instance = try #require(try await s.sidecar.zoho.instances.load(id))
            #expect(instance.clientSecret == secret, "the stored secret is the one first written")
        }
    }

    @Test("many2one values read as [id, display_name]", arguments: TestStores.engines)
    func many2one(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let instance = try #require(try await s.execute("zoho.instance", "create", [["name": "Acme"]]).intValue)
            let job = try #require(try await s.execute("zoho.job", "create", [["kind": "noop", "instance_id": .int(instance)]]).intValue)
            let row = try await s.execute("zoho.job", "read", [[.int(job)], ["instance_id", "display_name", "state", "eta"]]).arrayValue!.first!
            #expect(row["instance_id"] == [.int(instance), "Acme"])
            #expect(row["display_name"] == .string("noop #\(job)"))
            #expect(row["state"] == "pending")
            #expect(try await s.execute("zoho.job", "search_count", [[["instance_id", "ilike", "acm"]]]) == 1)
            #expect(try await s.execute("zoho.instance", "name_search", ["Ac"]) == [[.int(instance), "Acme"]])
        }
    }

    @Test("JSON-2 serves the same models with a bearer key and HTTP statuses", arguments: TestStores.engines)
    func json2(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            let auth = [("Authorization", "bearer \(s.apiKey)")]
            let created = try await s.post(
                "/json/2/zoho.instance/create",
                body: #"{"vals_list":[{"name":"J2"}],"context":{"allowed_company_ids":[1]}}"#,
                headers: auth
            )
            #expect(created.status == 200)
            let id = try #require(created.body.arrayValue?.first?.intValue)
            let read = try await s.post("/json/2/zoho.instance/read", body: "{\"ids\":[\(id)],\"fields\":[\"name\"]}", headers: auth)
            #expect(read.body == [["id": .int(id), "name": "J2"]])
            let search = try await s.post(
                "/json/2/zoho.instance/search_read",
                body: #"{"domain":[["name","=","J2"]],"fields":["name"]}"#,
                headers: auth
            )
            #expect(search.body.arrayValue?.count == 1)

            let noKey = try await s.post("/json/2/zoho.instance/search", body: "{}")
            #expect(noKey.status == 401)
            #expect(noKey.body["name"] == "odoo.exceptions.AccessDenied")
            #expect(
                try await s.post("/json/2/zoho.instance/search", body: "{}", headers: [("Authorization", "bearer zsk_wrongkeywrongkey")]).status
                    == 401
            )
            #expect(try await s.post("/json/2/no.model/search", body: "{}", headers: auth).status == 404)
            #expect(try await s.post("/json/2/zoho.instance/read", body: "{\"ids\":[424242]}", headers: auth).status == 404)
            #expect(try await s.post("/json/2/zoho.instance/search", body: "{nope", headers: auth).status == 400)
        }
    }
}

extension TestSidecar {
    /// Every byte of the store's tables as text, to check that no secret sits there in clear.
    func store_dump() async throws -> String {
        var out = ""
        for table in ["instances", "jobs", "bindings", "webhook_events", "logs", "api_keys", "settings"] {
            for row in try await sidecar.store.query(SQL("SELECT * FROM \(table)")) {
                for v in row.values {
                    switch v {
                    case .text(let t): out += t
                    case .blob(let b): out += String(decoding: b, as: UTF8.self)
                    default: break
                    }
                }
            }
        }
        if sidecar.store.engine == .sqlite {
            for suffix in ["", "-wal"] {
                if let data = FileManager.default.contents(atPath: dataDir + "/sidecar.sqlite" + suffix) {
                    out += String(decoding: data, as: UTF8.self)
                }
            }
        }
        return out
    }
}
