import Core
import Queue
import Store
import Testing

/// Long errors are cut short where a list shows them and kept whole where a form shows them
/// (issue 22, point 4).
@Suite("Readable errors")
struct ReadableErrorsTests {
    @Test(
        "error_summary and message_summary cut a long error to 160 characters with an ellipsis; last_error and message stay whole",
        arguments: TestStores.engines
    )
    func summariesCutLongErrors(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let instance = try #require(try await s.execute("zoho.instance", "create", [["name": "A", "company_id": 1]]).intValue)
            let queue = s.sidecar.queue
            let ids = try await queue.enqueue((0..<2).map { _ in NewJob(kind: "zoho.push", companyID: 1, instanceID: instance) })
            let long = "Zoho refused the record: " + String(repeating: "the field Last_Name is mandatory. ", count: 20)
            let claimed = try await queue.claim(limit: 2, worker: "w", leaseSeconds: 60)
            try await queue.finish(
                claimed.map { ($0, .failed(error: ErrorReport(message: $0.id == ids[0] ? long : "Zoho said no."))) },
                worker: "w"
            )

            let jobs = try await s.execute("zoho.job", "search_read", [[]], ["fields": ["last_error", "error_summary"], "order": "id"])
            let (first, second) = (jobs[0], jobs[1])
            #expect(first?["last_error"]?.stringValue == long)
            let summary = try #require(first?["error_summary"]?.stringValue)
            #expect(summary.count == 160)
            #expect(summary == String(long.prefix(159)) + "…")
            #expect(second?["error_summary"] == "Zoho said no.")
            #expect(second?["last_error"] == "Zoho said no.")

            let logs = try await s.execute("zoho.log", "search_read", [[["job_id", "=", .int(ids[0])]]], ["fields": ["message", "message_summary"]])
            let message = try #require(logs[0]?["message"]?.stringValue)
            #expect(message.hasSuffix(long))
            #expect(logs[0]?["message_summary"]?.stringValue == String(message.prefix(159)) + "…")
        }
    }
}
