import Core
import Foundation
import OdooStandIn
import Store
import Testing

/// The sync under a storm: people editing both sides at once while Zoho fails some calls.
@Suite("Sync storm")
struct StormTests {
    struct Slot: Hashable {
        let email: String
        let odooField: String
    }

    static let fields = [("phone", "Phone"), ("function", "Title"), ("mobile", "Mobile")]

    @Test(
        "1,000 random edits on both sides with Zoho faults converge: equal sides, no echo, no lost update, no duplicate",
        arguments: TestStores.engines
    )
    func storm(engine: Engine) async throws {
        try await SyncHarness.with(engine, settings: ["reconcile_interval_seconds": "0"], { c in c.retryAfterSeconds = 1 }) { h in
            _ = try await h.s.execute(
                "zoho.job",
                "set_queue_settings",
                [["max_attempts": 20, "retry_backoff_base_seconds": 0.1, "retry_backoff_cap_seconds": 1]]
            )
            var rng = SystemRandomNumberGenerator()
            // People on both sides, synced.
            var emails: [String] = []
            for n in 0..<60 {
                _ = try await h.odoo.userCreate(["name": .string("Odoo Person \(n)"), "email": .string("odoo\(n)@example.com")])
                _ = try await h.zoho.control(
                    "POST",
                    "crm/eu/Contacts",
                    ["First_Name": "Zoho", "Last_Name": .string("Person \(n)"), "Email": .string("zoho\(n)@example.com")]
                )
                emails += ["odoo\(n)@example.com", "zoho\(n)@example.com"]
            }
            try await h.settle(timeout: 120)
            let requestsBefore = try await h.zoho.control("GET", "requests?path_prefix=/api/crm").arrayValue?.count ?? 0
            await h.odoo.odoo.resetWrites()
            _ = try await h.zoho.control("POST", "faults", ["target": "crm", "kind": "500", "percent": 8])
            _ = try await h.zoho.control("POST", "faults", ["target": "crm", "kind": "drop", "percent": 3])
            _ = try await h.zoho.control("POST", "faults", ["target": "crm", "kind": "429", "percent": 2])

            // Rounds a second apart (times have second precision); a record is edited at most once per round.
            let started = ContinuousClock.now
            var expected: [Slot: String] = [:]
            var history: [Slot: [String]] = [:]
            var edits = 0
            var created = 0
            var round = 0
            while edits < 1000 {
                round += 1
                let batch = emails.shuffled(using: &rng).prefix(min(100, 1000 - edits))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (i, email) in batch.enumerated() {
                        let (odooField, zohoField) = Self.fields.randomElement(using: &rng)!
                        let value = "r\(round)-\(i)"
                        expected[Slot(email: email, odooField: odooField)] = value
                        let inOdoo = Bool.random(using: &rng)
                        history[Slot(email: email, odooField: odooField), default: []].append("\(value)@\(inOdoo ? "odoo" : "zoho")")
                        group.addTask {
                            // A person created a moment ago may not be on the other side yet: edit where it is.
                            let partner = await h.odoo.odoo.all("res.partner").first { $0["email"] == .string(email) }?["id"]?.intValue
                            let contact = try await h.zohoRecords("Contacts").first { $0["Email"] == .string(email) }?["id"]?.stringValue
                            if let partner, inOdoo || contact == nil {
                                try await h.odoo.userWrite(partner, [odooField: .string(value)])
                            } else if let contact {
                                _ = try await h.zoho.control("PUT", "crm/eu/Contacts/\(contact)", [zohoField: .string(value)])
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                edits += batch.count
                // New people on both sides, to be created across without duplicates.
                for side in ["odoo", "zoho"] {
                    let email = "new-\(side)-\(round)@example.com"
                    if side == "odoo" {
                        _ = try await h.odoo.userCreate(["name": .string("New Odoo \(round)"), "email": .string(email)])
                    } else {
                        _ = try await h.zoho.control("POST", "crm/eu/Contacts", ["Last_Name": .string("New Zoho \(round)"), "Email": .string(email)])
                    }
                    emails.append(email)
                    created += 1
                }
                try await Task.sleep(for: .milliseconds(1100))
            }
            _ = try await h.zoho.control("DELETE", "faults")
            // Whatever a fault left behind, the catch-up finds.
            _ = try await h.s.execute("zoho.instance", "action_sync_now", [[.int(h.instance)]])
            try await h.settle(timeout: 300)
            let converged = ContinuousClock.now - started

            let partners = await h.odoo.odoo.all("res.partner").filter { $0["active"] == true }
            let contacts = try await h.zohoRecords("Contacts")
            #expect(partners.count == emails.count, "no duplicate and no missing record in Odoo")
            #expect(contacts.count == emails.count, "no duplicate and no missing record in Zoho")
            #expect(Set(contacts.compactMap { $0["Email"]?.stringValue }) == Set(emails))
            var mismatches: [String] = []
            var lost: [String] = []
            for email in emails {
                guard let p = partners.first(where: { $0["email"] == .string(email) }),
                    let c = contacts.first(where: { $0["Email"] == .string(email) })
                else {
                    mismatches.append("\(email): missing")
                    continue
                }
                let name = [c["First_Name"]?.stringValue, c["Last_Name"]?.stringValue].compactMap { $0 }.joined(separator: " ")
                if p["name"]?.stringValue != name { mismatches.append("\(email): name \(p["name"]!) vs \(name)") }
                for (o, z) in Self.fields {
                    let ov = p[o]?.stringValue
                    let zv = c[z]?.stringValue
                    if ov != zv { mismatches.append("\(email): \(o) \(ov ?? "-") vs \(zv ?? "-")") }
                    if let want = expected[Slot(email: email, odooField: o)], ov != want {
                        lost.append("\(email): \(o) lost update: \(ov ?? "-") instead of \(want) \(history[Slot(email: email, odooField: o)] ?? [])")
                    }
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
            #expect(lost.isEmpty, "\(lost.count) lost updates, e.g. \(lost.prefix(5))")
            let stats = try await h.zoho.control("GET", "stats")
            let odooEchoes = await h.odoo.odoo.noopWrites
            #expect(stats["noop_updates"] == nil, "Zoho writes that changed nothing")
            #expect(odooEchoes == 0, "Odoo writes that changed nothing")
            #expect(try await h.failedJobs().isEmpty)
            let calls = (try await h.zoho.control("GET", "requests?path_prefix=/api/crm").arrayValue?.count ?? 0) - requestsBefore
            print(
                "STORM engine=\(engine) records=\(emails.count) edits=\(edits) created=\(created) zoho_calls=\(calls) calls_per_edit=\(String(format: "%.2f", Double(calls) / Double(edits + created))) zoho_echo_writes=\(stats["noop_updates"]?.intValue ?? 0) odoo_echo_writes=\(odooEchoes) mismatches=\(mismatches.count) lost_updates=\(lost.count) converge_s=\(converged.components.seconds)"
            )
        }
    }
}
