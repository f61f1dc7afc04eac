import Core
import Foundation
import Simulator
import Testing

@Suite("Simulator: CRM notifications and webhooks")
struct NotificationTests {
    func watch(_ s: TestSim, _ at: String, _ body: JSONValue, method: String = "POST") async throws -> TestSim.Reply {
        try await s.request(method, "/us/api/crm/v8/actions/watch", body: body.serialized(), token: at)
    }

    @Test("a record change POSTs Zoho's callback body to notify_url, with query params echoed and ids batched")
    func callbacks() async throws {
        try await Receiver.with { receiver, url in
            try await TestSim.with { s in
                let (_, at, _) = try await s.connect()
                let enabled = try await watch(
                    s,
                    at,
                    [
                        "watch": [
                            [
                                "channel_id": 1_000_000_068_001, "events": ["Contacts.all"],
                                "notify_url": .string(url + "/cb?key1=val1"), "token": "TOKEN_1",
                                "return_affected_field_values": true,
                            ]
                        ]
                    ]
                )
                #expect(enabled.json["watch"]?[0]?["message"] == "Successfully subscribed for actions-watch of the given module")
                #expect(enabled.json["watch"]?[0]?["details"]?["events"]?[0]?["resource_name"] == "Contacts")
                let created = try await s.request(
                    "POST",
                    "/us/api/crm/v8/Contacts",
                    body: #"{"data":[{"Last_Name":"A"},{"Last_Name":"B"}]}"#,
                    token: at
                )
                let ids = created.json["data"]!.arrayValue!.map { $0["details"]!["id"]! }
                _ = try await s.request(
                    "PUT",
                    "/us/api/crm/v8/Contacts",
                    body: #"{"data":[{"id":\#(ids[0].serialized()),"Mobile":"123456789"}]}"#,
                    token: at
                )
                let hits = await receiver.wait(for: 2)
                let insert = try JSONValue.parse(hits[0].body)
                #expect(insert["operation"] == "insert")
                #expect(insert["ids"] == .array(ids))
                #expect(insert["channel_id"] == "1000000068001", "channel_id is a string in callbacks")
                #expect(insert["token"] == "TOKEN_1")
                #expect(insert["module"] == "Contacts")
                #expect(insert["query_params"] == ["key1": "val1"])
                #expect(insert["server_time"]?.intValue != nil)
                #expect(hits[0].headers["authorization"] == nil, "callbacks carry no signature and no auth header")
                let update = try JSONValue.parse(hits[1].body)
                #expect(update["operation"] == "update")
                #expect(update["affected_fields"] == [[ids[0].stringValue!: ["Mobile"]]])
                #expect(update["affected_values"] == [["record_id": ids[0], "values": ["Mobile": "123456789"]]])
            }
        }
    }

    @Test("expired channels stop notifying; expiry beyond a week falls back to one hour")
    func expiry() async throws {
        try await Receiver.with { receiver, url in
            try await TestSim.with { s in
                let (_, at, _) = try await s.connect()
                _ = try await watch(
                    s,
                    at,
                    [
                        "watch": [
                            [
                                "channel_id": 7, "events": ["Contacts.create"], "notify_url": .string(url + "/late"),
                                "channel_expiry": "2099-01-01T00:00:00+00:00",
                            ]
                        ]
                    ]
                )
                let listed = try await s.request("GET", "/us/api/crm/v8/actions/watch", token: at)
                let expiry = try #require(listed.json["watch"]?[0]?["channel_expiry"]?.stringValue)
                let delta = (Clock.parseOdoo(expiry) ?? 0) - Clock.now()
                #expect(abs(delta - 3_600_000_000) < 120_000_000, "fell back to 1 h")
                _ = try await s.control("POST", "clock", ["advance_seconds": 3700])
                _ = try await s.control("POST", "crm/us/Contacts", ["Last_Name": "Late"])
                try await Task.sleep(for: .milliseconds(300))
                #expect(receiver.all.isEmpty)
                let (_, fresh, _) = try await s.connect()
                #expect(try await s.request("GET", "/us/api/crm/v8/actions/watch", token: fresh).status == 204)
            }
        }
    }

    @Test("watch errors: a token over 50 characters, a missing notify_url, disabling an unknown channel")
    func watchErrors() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let long = try await watch(
                s,
                at,
                [
                    "watch": [
                        [
                            "channel_id": 1, "events": ["Contacts.all"], "notify_url": "http://127.0.0.1:1/x",
                            "token": .string(String(repeating: "t", count: 51)),
                        ]
                    ]
                ]
            )
            #expect(long.status == 400)
            #expect(long.json["watch"]?[0]?["code"] == "INVALID_DATA")
            #expect(
                try await watch(s, at, ["watch": [["channel_id": 1, "events": ["Contacts.all"]]]]).json["watch"]?[0]?["code"] == "MANDATORY_NOT_FOUND"
            )
            let off = try await s.request("DELETE", "/us/api/crm/v8/actions/watch?channel_ids=999", token: at)
            #expect(off.json["watch"]?[0]?["code"] == "NOT_SUBSCRIBED")
        }
    }

    @Test("update and PATCH change a channel; DELETE disables it")
    func manageChannels() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            _ = try await watch(s, at, ["watch": [["channel_id": 5, "events": ["Contacts.all"], "notify_url": "http://127.0.0.1:1/a"]]])
            let patched = try await watch(s, at, ["watch": [["channel_id": 5, "events": ["Accounts.edit"]]]], method: "PATCH")
            #expect(patched.json["watch"]?[0]?["message"] == "Successfully updated the subscribe details")
            let listed = try await s.request("GET", "/us/api/crm/v8/actions/watch?channel_id=5", token: at)
            #expect(listed.json["watch"]?[0]?["events"] == ["Accounts.edit", "Contacts.all"])
            let off = try await s.request("DELETE", "/us/api/crm/v8/actions/watch?channel_ids=5", token: at)
            #expect(off.json["watch"]?[0]?["message"] == "Successfully un-subscribed from actions-watch")
        }
    }

    @Test("deliveries can be duplicated, delayed and reordered on purpose")
    func misbehaviour() async throws {
        try await Receiver.with { receiver, url in
            try await TestSim.with({
                $0.duplicateDeliveryPercent = 100
                $0.reorderDeliveries = true
            }) { s in
                let (_, at, _) = try await s.connect()
                _ = try await watch(s, at, ["watch": [["channel_id": 9, "events": ["Contacts.all"], "notify_url": .string(url + "/dup")]]])
                _ = try await s.request("POST", "/us/api/crm/v8/Contacts", body: #"{"data":[{"Last_Name":"A"}]}"#, token: at)
                let hits = await receiver.wait(for: 2)
                #expect(hits.count == 2)
                #expect(hits[0].body == hits[1].body)
            }
        }
    }

    @Test("CRM workflow webhooks post the record as JSON or as a form, with custom headers")
    func workflowWebhooks() async throws {
        try await Receiver.with { receiver, url in
            try await TestSim.with { s in
                _ = try await s.control(
                    "POST",
                    "crm/us/workflow_webhooks",
                    [
                        "module": "Contacts", "url": .string(url + "/wf"), "events": ["create"],
                        "headers": ["X-Zoho-Webhook-Secret": "abc"], "form": true,
                    ]
                )
                _ = try await s.control("POST", "crm/us/Contacts", ["Last_Name": "Form"])
                let hit = try #require(await receiver.wait(for: 1).first)
                #expect(hit.headers["x-zoho-webhook-secret"] == "abc")
                #expect(hit.headers["content-type"] == "application/x-www-form-urlencoded")
                #expect(hit.body.contains("Last_Name=Form"))
            }
        }
    }
}
