import Core
import Foundation
import OdooRPC
import Store
import Testing

/// The queue over RPC, as the Odoo addon and operators use it.
@Suite("Jobs over RPC")
struct JobRPCTests {
    @Test("enqueue runs a job; its state, attempts and timestamps read back as Odoo values", arguments: TestStores.engines)
    func enqueueAndRun(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            let id = try #require(try await s.execute("zoho.job", "enqueue", [], ["kind": "noop", "payload": ["x": 1]]).intValue)
            try await eventually("done") {
                try await s.execute("zoho.job", "read", [[.int(id)], ["state"]]).arrayValue?.first?["state"] == "done"
            }
            let row = try await s.execute("zoho.job", "read", [[.int(id)], ["attempts", "date_done", "payload", "kind"]]).arrayValue!.first!
            #expect(row["attempts"] == 1)
            #expect(row["date_done"]?.stringValue?.count == 19)
            #expect(row["payload"] == ["x": 1])
        }
    }

    @Test("create is enqueue: an unknown kind is a ValidationError naming the known kinds", arguments: TestStores.engines)
    func unknownKind(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            let fault = await expectFault(.validationError) { try await s.execute("zoho.job", "create", [["kind": "nope"]]) }
            #expect(fault?.message.contains("noop") == true)
            await expectFault(.validationError) { try await s.execute("zoho.job", "enqueue", [], ["kind": "nope"]) }
            let created = try await s.execute("zoho.job", "create", [["kind": "noop"]])
            #expect(created.intValue != nil)
        }
    }

    @Test("retry, cancel and requeue act only on the caller's companies", arguments: TestStores.engines)
    func actions(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let mine = try #require(try await s.execute("zoho.job", "create", [["kind": "noop", "company_id": 1]], companies: [1]).intValue)
            let theirs = try #require(try await s.execute("zoho.job", "create", [["kind": "noop", "company_id": 2]], companies: [2]).intValue)
            try await s.sidecar.store.execute(SQL("UPDATE jobs SET state = 'failed'"))
            await expectFault(.accessError) { try await s.execute("zoho.job", "action_retry", [[.int(theirs)]], companies: [1]) }
            #expect(try await s.execute("zoho.job", "action_retry", [[.int(mine)]], companies: [1]) == 1)
            #expect(try await s.execute("zoho.job", "action_cancel", [[.int(mine)]], companies: [1]) == 1)
            #expect(try await s.execute("zoho.job", "requeue_failed", [], companies: [1]) == 0, "company 2's failed job is not touched")
            #expect(try await s.execute("zoho.job", "requeue_failed", [], companies: [2]) == 1)
            await expectFault(.missingError) { try await s.execute("zoho.job", "action_cancel", [[424242]]) }
        }
    }

    @Test("queue settings read and write at run time; bad values are refused by name", arguments: TestStores.engines)
    func settings(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let before = try await s.execute("zoho.job", "get_queue_settings")
            #expect(before["concurrency"] == 32)
            let after = try await s.execute("zoho.job", "set_queue_settings", [["concurrency": 4, "retry_backoff_cap_seconds": 120]])
            #expect(after["concurrency"] == 4)
            #expect(try await s.execute("zoho.job", "get_queue_settings")["retry_backoff_cap_seconds"]?.doubleValue == 120)
            let fault = await expectFault(.validationError) { try await s.execute("zoho.job", "set_queue_settings", [["concurency": 4]]) }
            #expect(fault?.message.contains("concurency") == true)
            await expectFault(.validationError) { try await s.execute("zoho.job", "set_queue_settings", [["max_attempts": 0]]) }
        }
    }
}
