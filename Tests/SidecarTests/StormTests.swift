import Core
import Crypto
import Foundation
import OdooStandIn
import Store
import Testing
import ZohoAPI

/// The sync under a storm: people editing both sides at once while Zoho fails some calls.
@Suite("Sync storm")
struct StormTests {
    struct Slot: Hashable {
        let email: String
        let odooField: String
    }

    /// What a storm edits: records of one Odoo model and one Zoho module, found by email on each side,
    /// and the field pairs it writes.
    struct Scenario: Sendable {
        struct Pair: Sendable {
            let odoo: String
            let zoho: String
            /// The value of edit `i` in round `r`, in Odoo's terms and in Zoho's.
            let value: @Sendable (_ r: Int, _ i: Int) -> (odoo: JSONValue, zoho: JSONValue)
            /// A Zoho value in Odoo's terms, for comparing the two sides.
            var inOdooTerms: @Sendable (JSONValue) -> JSONValue = { $0 }

            /// A text field: the same value on both sides.
            static func text(_ odoo: String, _ zoho: String) -> Pair {
                Pair(odoo: odoo, zoho: zoho) { r, i in (.string("r\(r)-\(i)"), .string("r\(r)-\(i)")) }
            }
        }

        let odooModel: String
        let odooEmail: String
        let module: String
        /// The pairs the storm edits.
        let pairs: [Pair]
        /// Pairs only set when records are created, compared at the end.
        var alsoCompared: [Pair] = []
        /// Values record `n` is created with besides its name and email, in Odoo and in Zoho.
        var odooCreate: @Sendable (Int) -> [String: JSONValue] = { _ in [:] }
        var zohoCreate: @Sendable (Int) -> [String: JSONValue] = { _ in [:] }
    }

    static let contacts = Scenario(
        odooModel: "res.partner",
        odooEmail: "email",
        module: "Contacts",
        pairs: [.text("phone", "Phone"), .text("function", "Title"), .text("mobile", "Mobile")]
    )

    static let temperatures = ["Cold", "Warm", "Hot", "Very hot"]
    static let firstDay = Clock.parseOdoo("2027-01-01")!

    /// CRM leads through a mapping a person made: a custom text field and a custom date edited in the
    /// storm, and a custom picklist through a value table set when the records are created. Every edit
    /// writes a value the field never had: a value that comes back to one the sync read is not told
    /// apart from the sync's own write of it (docs/sync.md, "Edits made while the sidecar writes").
    static let leads = Scenario(
        odooModel: "crm.lead",
        odooEmail: "email_from",
        module: "Leads",
        pairs: [
            .text("phone", "Phone"),
            .text("partner_name", "Referrer"),
            Scenario.Pair(odoo: "date_deadline", zoho: "Follow_Up") { r, i in
                let day = JSONValue.string(String(Clock.odooString(firstDay + Int64(r * 100 + i) * 86_400_000_000).prefix(10)))
                return (day, day)
            },
        ],
        alsoCompared: [
            Scenario.Pair(
                odoo: "priority",
                zoho: "Temperature",
                value: { _, _ in (.null, .null) },
                inOdooTerms: { z in z.stringValue.flatMap { temperatures.firstIndex(of: $0) }.map { .string("\($0)") } ?? .null }
            )
        ],
        odooCreate: { n in ["type": "lead", "priority": .string("\(n % 4)")] },
        zohoCreate: { n in ["Temperature": .string(temperatures[n % 4])] }
    )

    @Test(
        "1,000 random edits on both sides with Zoho faults converge: equal sides, no echo, no lost update, no duplicate",
        arguments: TestStores.engines
    )
    func storm(engine: Engine) async throws {
        try await Self.storm(Self.contacts, engine: engine, records: 60, edits: 1000) { _ in }
    }

    @Test(
        "a storm on a mapping a person made (leads with a custom text, picklist and date), Zoho's callbacks 1.5 s late, converges the same way",
        arguments: TestStores.engines
    )
    func userMappingStorm(engine: Engine) async throws {
        // Zoho notifies with a delay: edits the sync overwrote meanwhile must come back when their callbacks do.
        try await Self.storm(Self.leads, engine: engine, records: 30, edits: 400, callbackDelayMilliseconds: 1500) { h in
            try await h.zoho.addCRMFields(
                "Leads",
                [
                    ["field_label": "Referrer", "data_type": "text"],
                    ["field_label": "Temperature", "data_type": "picklist", "pick_list_values": TestZoho.options(Self.temperatures)],
                    ["field_label": "Follow Up", "data_type": "date"],
                ]
            )
            let mapping = try #require(
                try await h.s.execute(
                    "zoho.mapping",
                    "create",
                    [
                        [
                            "instance_id": .int(h.instance), "name": "my_leads", "odoo_model": "crm.lead", "zoho_module": "Leads",
                            "odoo_domain": [["type", "=", "lead"]], "odoo_defaults": ["type": "lead"], "match_odoo": "email_from",
                            "match_zoho": "Email",
                        ]
                    ]
                ).intValue
            )
            let table: JSONValue = .object(
                Dictionary(uniqueKeysWithValues: Self.temperatures.enumerated().map { ("\($0.offset)", .string($0.element)) })
            )
            let pairs: [JSONValue] = [
                ["odoo_field": "name", "zoho_fields": "First_Name,Last_Name", "transform": "name_split"],
                ["odoo_field": "email_from", "zoho_fields": "Email"],
                ["odoo_field": "phone", "zoho_fields": "Phone"],
                ["odoo_field": "partner_name", "zoho_fields": "Referrer"],
                ["odoo_field": "priority", "zoho_fields": "Temperature", "transform": "selection", "options": ["values": table]],
                ["odoo_field": "date_deadline", "zoho_fields": "Follow_Up", "transform": "date"],
            ]
            for case .object(var pair) in pairs {
                pair["mapping_id"] = .int(mapping)
                _ = try await h.s.execute("zoho.mapping.field", "create", [.object(pair)])
            }
            let check = try await h.s.execute("zoho.mapping", "action_validate", [[.int(mapping)]])
            #expect(check["ok"] == true, "\(check)")
            // Zoho tells the sidecar about Leads too.
            _ = try await h.s.execute("zoho.instance", "write", [[.int(h.instance)], ["watch_modules": ["Accounts", "Contacts", "Leads"]]])
            let channels = NotificationChannels(
                store: h.s.sidecar.store,
                instances: h.s.sidecar.zoho.instances,
                client: h.s.sidecar.zoho.client,
                publicURL: h.s.baseURL,
                logger: h.s.sidecar.logger
            )
            _ = try await channels.subscribe(h.instance)
        }
    }

    static func storm(
        _ c: Scenario,
        engine: Engine,
        records: Int,
        edits total: Int,
        callbackDelayMilliseconds: Int = 0,
        prepare: (SyncHarness) async throws -> Void
    ) async throws {
        try await SyncHarness.with(engine, settings: ["reconcile_interval_seconds": "0"], { c in c.retryAfterSeconds = 1 }) { h in
            try await prepare(h)
            _ = try await h.s.execute(
                "zoho.job",
                "set_queue_settings",
                [["max_attempts": 20, "retry_backoff_base_seconds": 0.1, "retry_backoff_cap_seconds": 1]]
            )
            func createInOdoo(_ n: Int, _ name: String, _ email: String) async throws {
                let values = c.odooCreate(n).merging(["name": .string(name), c.odooEmail: .string(email)]) { _, new in new }
                _ = try await h.odoo.odoo.execute(c.odooModel, "create", [.object(values)], [:])
            }
            func createInZoho(_ n: Int, _ values: [String: JSONValue]) async throws {
                _ = try await h.zoho.control("POST", "crm/eu/\(c.module)", .object(c.zohoCreate(n).merging(values) { _, new in new }))
            }
            var rng = SystemRandomNumberGenerator()
            // People on both sides, synced.
            var emails: [String] = []
            for n in 0..<records {
                try await createInOdoo(n, "Odoo Person \(n)", "odoo\(n)@example.com")
                try await createInZoho(n, ["First_Name": "Zoho", "Last_Name": .string("Person \(n)"), "Email": .string("zoho\(n)@example.com")])
                emails += ["odoo\(n)@example.com", "zoho\(n)@example.com"]
            }
            try await h.settle(timeout: 120)
            let requestsBefore = try await h.zoho.control("GET", "requests?path_prefix=/api/crm").arrayValue?.count ?? 0
            await h.odoo.odoo.resetWrites()
            _ = try await h.zoho.control("POST", "faults", ["target": "crm", "kind": "500", "percent": 8])
            _ = try await h.zoho.control("POST", "faults", ["target": "crm", "kind": "drop", "percent": 3])
            _ = try await h.zoho.control("POST", "faults", ["target": "crm", "kind": "429", "percent": 2])
            _ = try await h.zoho.control("POST", "config", ["delayDeliveryMilliseconds": .int(Int64(callbackDelayMilliseconds))])

            // Rounds a second apart (times have second precision); a record is edited at most once per round.
            let started = ContinuousClock.now
            var expected: [Slot: JSONValue] = [:]
            var history: [Slot: [String]] = [:]
            var edits = 0
            var created = 0
            var round = 0
            while edits < total {
                round += 1
                let batch = emails.shuffled(using: &rng).prefix(min(100, total - edits))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (i, email) in batch.enumerated() {
                        let pair = c.pairs.randomElement(using: &rng)!
                        let value = pair.value(round, i)
                        expected[Slot(email: email, odooField: pair.odoo)] = value.odoo
                        let inOdoo = Bool.random(using: &rng)
                        history[Slot(email: email, odooField: pair.odoo), default: []].append("\(value.odoo)@\(inOdoo ? "odoo" : "zoho")")
                        group.addTask {
                            // A record created a moment ago may not be on the other side yet: edit where it is.
                            let odooRecord = await h.odoo.odoo.all(c.odooModel).first { $0[c.odooEmail] == .string(email) }?["id"]?.intValue
                            let zohoRecord = try await h.zohoRecords(c.module).first { $0["Email"] == .string(email) }?["id"]?.stringValue
                            if let odooRecord, inOdoo || zohoRecord == nil {
                                _ = try await h.odoo.odoo.execute(c.odooModel, "write", [[.int(odooRecord)], [pair.odoo: value.odoo]], [:])
                            } else if let zohoRecord {
                                _ = try await h.zoho.control("PUT", "crm/eu/\(c.module)/\(zohoRecord)", [pair.zoho: value.zoho])
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
                        try await createInOdoo(round, "New Odoo \(round)", email)
                    } else {
                        try await createInZoho(round, ["Last_Name": .string("New Zoho \(round)"), "Email": .string(email)])
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
            // Callbacks Zoho has not sent yet may bring edits the sync overwrote: the storm ends once they are in.
            try await eventually("the simulator's callbacks sent", timeout: .seconds(300)) {
                try await h.zoho.control("GET", "deliveries/pending")["pending"] == 0
            }
            try await h.settle(timeout: 300)
            let converged = ContinuousClock.now - started

            let odooRecords = await h.odoo.odoo.all(c.odooModel).filter { $0["active"] != false }
            let zohoRecords = try await h.zohoRecords(c.module)
            #expect(odooRecords.count == emails.count, "no duplicate and no missing record in Odoo")
            #expect(zohoRecords.count == emails.count, "no duplicate and no missing record in Zoho")
            #expect(Set(zohoRecords.compactMap { $0["Email"]?.stringValue }) == Set(emails))
            var mismatches: [String] = []
            var lost: [String] = []
            for email in emails {
                guard let o = odooRecords.first(where: { $0[c.odooEmail] == .string(email) }),
                    let z = zohoRecords.first(where: { $0["Email"] == .string(email) })
                else {
                    mismatches.append("\(email): missing")
                    continue
                }
                let name = [z["First_Name"]?.stringValue, z["Last_Name"]?.stringValue].compactMap { $0 }.joined(separator: " ")
                if o["name"]?.stringValue != name { mismatches.append("\(email): name \(o["name"]!) vs \(name)") }
                for pair in c.pairs + c.alsoCompared {
                    let ov = Self.present(o[pair.odoo])
                    let zv = Self.present(pair.inOdooTerms(z[pair.zoho] ?? .null))
                    if ov != zv { mismatches.append("\(email): \(pair.odoo) \(ov) vs \(zv)") }
                    if let want = expected[Slot(email: email, odooField: pair.odoo)], ov != Self.present(want) {
                        let past = history[Slot(email: email, odooField: pair.odoo)] ?? []
                        lost.append("\(email): \(pair.odoo) lost update: \(ov) instead of \(want) \(past)")
                        try await Self.explain(h, odoo: .object(o), zoho: z, pair: pair, history: past)
                    }
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
            #expect(lost.isEmpty, "\(lost.count) lost updates, e.g. \(lost.prefix(5))")
            let stats = try await h.zoho.control("GET", "stats")
            // Callbacks the sidecar did not take (a timeout or a refusal): Zoho does not send them again.
            let undelivered = (try await h.zoho.control("GET", "deliveries").arrayValue ?? []).filter { d in
                d["status"]?.intValue.map { !(200..<300).contains($0) } ?? true
            }
            let odooEchoes = await h.odoo.odoo.noopWrites
            #expect(stats["noop_updates"] == nil, "Zoho writes that changed nothing")
            #expect(odooEchoes == 0, "Odoo writes that changed nothing")
            #expect(try await h.failedJobs().isEmpty)
            let calls = (try await h.zoho.control("GET", "requests?path_prefix=/api/crm").arrayValue?.count ?? 0) - requestsBefore
            let perEdit = String(format: "%.2f", Double(calls) / Double(edits + created))
            print(
                "STORM module=\(c.module) engine=\(engine) records=\(emails.count) edits=\(edits) created=\(created) zoho_calls=\(calls) calls_per_edit=\(perEdit) zoho_echo_writes=\(stats["noop_updates"]?.intValue ?? 0) odoo_echo_writes=\(odooEchoes) undelivered_callbacks=\(undelivered.count) mismatches=\(mismatches.count) lost_updates=\(lost.count) converge_s=\(converged.components.seconds)"
            )
        }
    }

    /// What the sidecar decided about a lost update's field, for the failure report: its trace lines
    /// (values as digests) and the field's clocks.
    static func explain(_ h: SyncHarness, odoo o: JSONValue, zoho z: JSONValue, pair: Scenario.Pair, history: [String]) async throws {
        guard let oid = o["id"]?.intValue, let zid = z["id"]?.stringValue else { return }
        let digests = history.map { entry in
            let text = entry.split(separator: "@")[0].replacingOccurrences(of: "string(\"", with: "").replacingOccurrences(of: "\")", with: "")
            return "\(entry) = #" + String(SHA256.hash(data: JSONValue.string(text).serializedBytes()).hex.prefix(8))
        }
        print("LOST odoo \(oid) zoho \(zid) \(pair.odoo): \(digests)")
        for line in h.s.logLines.all where line.contains("odoo \(oid) zoho \(zid) \(pair.odoo):") { print("LOST trace \(line)") }
        let rows = try await h.s.sidecar.store.query(
            SQL(
                "SELECT side, field, changed_at, read_at, fingerprint, written_fingerprint FROM field_changes WHERE (record_id = ? AND field = ?) OR (record_id = ? AND field = ?)",
                [.text(String(oid)), .text(pair.odoo), .text(zid), .text(pair.zoho)]
            )
        )
        for r in rows {
            let values = ["side", "field", "changed_at", "read_at", "fingerprint", "written_fingerprint"].map { column in
                "\(column)=" + (r[column].text ?? r[column].int.map(String.init) ?? "-")
            }
            print("LOST clock \(values.joined(separator: " "))")
        }
        for d in try await h.zoho.control("GET", "deliveries").arrayValue ?? [] where d["body"]?.stringValue?.contains(zid) == true {
            let text = d["body"]?.stringValue ?? ""
            let body = (try? JSONValue.parse(text)) ?? .null
            let values = body["affected_values"]?.arrayValue?.first { $0["record_id"]?.stringValue == zid }?["values"] ?? .null
            let sha = SHA256.hash(data: Array(text.utf8)).hex
            let events = try await h.s.sidecar.store.query(
                SQL("SELECT verdict, job_id, received_at FROM webhook_events WHERE body_sha256 = ?", [.text(sha)])
            )
            let verdicts = events.map { e in
                let job = e["job_id"].int.map(String.init) ?? "-"
                return "\(e["verdict"].text ?? "-") job \(job) at \(e["received_at"].int ?? 0)"
            }
            let sent = "status \(d["status"] ?? .null) attempts \(d["attempts"] ?? .null) server_time \(body["server_time"] ?? .null)"
            print("LOST callback \(sent) \(body["operation"] ?? .null) values \(values.serialized()) taken \(verdicts)")
        }
    }

    /// A value as the comparison reads it: Odoo's false and Zoho's null are both empty.
    static func present(_ v: JSONValue?) -> String {
        guard let v, v != false, !v.isNull else { return "-" }
        return v.stringValue ?? v.serialized()
    }
}
