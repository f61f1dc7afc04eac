import Core
import Foundation
import Store
import Synchronization
import Testing

/// Every RPC read answers from one snapshot, as Odoo answers each request inside one transaction.
@Suite("Consistent reads")
struct ConsistencyTests {
    final class Tally: Sendable {
        private let counts = Mutex((reads: 0, errors: [String](), sendersLeft: 0))
        init(senders: Int) { counts.withLock { $0.sendersLeft = senders } }
        func read() { counts.withLock { $0.reads += 1 } }
        func error(_ message: String) { counts.withLock { $0.errors.append(message) } }
        func senderDone() { counts.withLock { $0.sendersLeft -= 1 } }
        var reads: Int { counts.withLock { $0.reads } }
        var errors: [String] { counts.withLock { $0.errors } }
        var sending: Bool { counts.withLock { $0.sendersLeft > 0 } }
    }

    @Test(
        "under a stream of webhooks, the Webhooks and Jobs lists read through the real server never fail: search_read, read, search_count, read_group",
        arguments: TestStores.engines
    )
    func readsUnderWebhookLoad(engine: Engine) async throws {
        let unlimited = ["workers": "false", "webhook_rate": "1000000", "webhook_burst": "1000000", "rpc_rate": "1000000", "rpc_burst": "1000000"]
        try await TestSidecar.with(engine, settings: unlimited) { s in
            let (id, secret) = try await WebhookTests.instance(s)
            let senders = 8
            let deliveries = 200
            let tally = Tally(senders: senders)
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sender in 0..<senders {
                    group.addTask {
                        defer { tally.senderDone() }
                        for n in 0..<deliveries {
                            let body = #"{"id":"\#(sender * 1_000_000 + n)","Email":"a@example.com"}"#
                            let reply = try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: body, headers: [("X-Zoho-Webhook-Secret", secret)])
                            #expect(reply.status == 200, "\(reply.text)")
                        }
                    }
                }
                for _ in 0..<4 {
                    group.addTask {
                        while tally.sending {
                            do {
                                try await Self.readLists(s)
                                tally.read()
                            } catch {
                                tally.error("\(error)")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "CONSISTENCY engine=\(engine) reads=\(tally.reads) errors=\(tally.errors.count) "
                    + "webhooks_per_s=\(Int(Double(senders * deliveries) / seconds))"
            )
            #expect(tally.errors.isEmpty, "\(tally.errors.prefix(3))")
            #expect(tally.reads > 0)
        }
    }

    /// What the Webhooks and Jobs lists ask for: the newest page, those records, the count, the groups.
    static func readLists(_ s: TestSidecar) async throws {
        let page = try await s.execute(
            "zoho.webhook.event",
            "search_read",
            [[]],
            ["fields": ["id", "verdict", "job_id"], "limit": 50, "order": "id desc"]
        )
        let ids = (page.arrayValue ?? []).compactMap { $0["id"] }
        if !ids.isEmpty {
            _ = try await s.execute("zoho.webhook.event", "read", [.array(ids), ["verdict", "job_id"]])
        }
        _ = try await s.execute("zoho.job", "search_count", [[]])
        _ = try await s.execute("zoho.job", "read_group", [[], ["state"], ["state"]])
    }
}
