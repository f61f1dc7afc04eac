import Core
import Foundation
import OdooStandIn
import Simulator
import Store
import Testing

/// Chaos: the real binary syncing people both ways while it is killed with SIGKILL at random moments
/// and restarted, Zoho fails calls (5xx, slow 504s, dropped connections, 429 bursts), access tokens
/// expire every minute, PostgreSQL restarts, Odoo goes down, and Zoho revokes the refresh token.
/// At the end: both sides equal, no duplicate, no record lost, every job done, every acknowledged
/// webhook processed. Runs when ZS_CHAOS_KILLS is set (scripts/reliability; CI runs a short form).
@Suite("Chaos", .serialized)
struct ChaosTests {
    static let env = ProcessInfo.processInfo.environment
    static let kills = Int(env["ZS_CHAOS_KILLS"] ?? "") ?? 0
    static let rounds = Int(env["ZS_CHAOS_ROUNDS"] ?? "") ?? max(12, kills + 4)
    static let odooDownSeconds = Double(env["ZS_CHAOS_ODOO_DOWN_SECONDS"] ?? "") ?? 10
    static let fields = [("phone", "Phone"), ("function", "Title"), ("mobile", "Mobile")]

    @Test(
        "SIGKILLs, Zoho faults, token expiry, a PostgreSQL restart, Odoo down and a revocation: the sync converges, nothing lost or doubled",
        .enabled(if: kills > 0),
        arguments: TestStores.engines
    )
    func chaos(engine: Engine) async throws {
        try await TestZoho.with({ c in
            c.accessTokenTTLSeconds = 60
            // Tokens that expire every minute need more refreshes than Zoho's 10 per 10 minutes; that throttle has its own tests.
            c.refreshLimit = 1_000
            c.timeoutFaultSeconds = 2
            c.retryAfterSeconds = 1
        }) { zoho in
            try await TestOdoo.with { odoo in
                let sidecar = try await ProcessSidecar(
                    engine: engine,
                    settings: odoo.settings.merging([
                        "zoho_url_template": zoho.template, "reconcile_interval_seconds": "5", "token_refresh_margin_seconds": "30",
                        "shutdown_grace_seconds": "2", "log_format": "json",
                    ]) { _, b in b }
                )
                try await sidecar.start()
                defer { sidecar.kill() }
                let (instance, clientID) = try await sidecar.connect(zoho, name: "Chaos")
                // Short leases, so the jobs a killed sidecar held are rescued within half a minute, not ten.
                _ = try await sidecar.execute(
                    "zoho.job",
                    "set_queue_settings",
                    [
                        [
                            "max_attempts": 25, "retry_backoff_base_seconds": 0.2, "retry_backoff_cap_seconds": 2,
                            "lease_seconds": 30, "max_runtime_seconds": 25,
                        ]
                    ]
                )
                await odoo.odoo.setForward { model, ids, operation, values in
                    // The addon forwards after commit; when the sidecar is down the forward is lost and reconciliation must catch it.
                    _ = try? await sidecar.execute(
                        "zoho.job",
                        "enqueue_push",
                        [.string(model), .array(ids.map { .int($0) }), .string(operation), [], .object(values)]
                    )
                }
                // A restart subscribes the notification channels at once (housekeeping's first round).
                sidecar.kill()
                try await sidecar.start()

                var emails: [String] = []
                for n in 0..<30 {
                    _ = try await odoo.userCreate(["name": .string("Odoo Person \(n)"), "email": .string("odoo\(n)@example.com")])
                    _ = try await zoho.control(
                        "POST",
                        "crm/eu/Contacts",
                        ["First_Name": "Zoho", "Last_Name": .string("Person \(n)"), "Email": .string("zoho\(n)@example.com")]
                    )
                    emails += ["odoo\(n)@example.com", "zoho\(n)@example.com"]
                }
                try await Self.settle(sidecar, timeout: 180)

                // Faults from outside, for the whole edit phase.
                for (kind, percent) in [("500", 20), ("timeout", 5), ("drop", 3), ("429", 3)] {
                    _ = try await zoho.control("POST", "faults", ["target": "crm", "kind": .string(kind), "percent": .int(Int64(percent))])
                }
                let started = ContinuousClock.now
                let startedAt = Clock.now()
                var rng = SystemRandomNumberGenerator()
                let killRounds = Set((1...Self.rounds).shuffled(using: &rng).prefix(Self.kills))
                let pgRound = engine == .postgres ? Self.rounds / 2 : nil
                let odooRound = Self.rounds / 3
                var killed = 0
                var pgRestarts = 0
                var edits = 0
                var odooBackAt: ContinuousClock.Instant?
                for round in 1...Self.rounds {
                    let batch = emails.shuffled(using: &rng).prefix(12)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (i, email) in batch.enumerated() {
                            let (odooField, zohoField) = Self.fields.randomElement(using: &rng)!
                            let value = "c\(round)-\(i)"
                            let inOdoo = Bool.random(using: &rng)
                            group.addTask {
                                let partner = await odoo.odoo.all("res.partner").first { $0["email"] == .string(email) }?["id"]?.intValue
                                let contact = try await (zoho.control("GET", "crm/eu/Contacts").arrayValue ?? []).first {
                                    $0["Email"] == .string(email)
                                }?["id"]?.stringValue
                                if let partner, inOdoo || contact == nil {
                                    try await odoo.userWrite(partner, [odooField: .string(value)])
                                } else if let contact {
                                    _ = try await zoho.control("PUT", "crm/eu/Contacts/\(contact)", [zohoField: .string(value)])
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    edits += batch.count
                    for side in ["odoo", "zoho"] {
                        let email = "new-\(side)-\(round)@example.com"
                        if side == "odoo" {
                            _ = try await odoo.userCreate(["name": .string("New Odoo \(round)"), "email": .string(email)])
                        } else {
                            _ = try await zoho.control(
                                "POST",
                                "crm/eu/Contacts",
                                ["Last_Name": .string("New Zoho \(round)"), "Email": .string(email)]
                            )
                        }
                        emails.append(email)
                    }
                    if round == odooRound {
                        await odoo.odoo.setDown(true)
                        odooBackAt = ContinuousClock.now + .seconds(Self.odooDownSeconds)
                    }
                    if let back = odooBackAt, ContinuousClock.now >= back {
                        await odoo.odoo.setDown(false)
                        odooBackAt = nil
                    }
                    // A kill lands at a random moment within the round, while jobs run.
                    try await Task.sleep(for: .milliseconds(Int64.random(in: 100...900, using: &rng)))
                    if killRounds.contains(round) {
                        sidecar.kill()
                        killed += 1
                        try await sidecar.start()
                    }
                    if round == pgRound {
                        try Self.restartPostgres()
                        pgRestarts += 1
                    }
                    try await Task.sleep(for: .milliseconds(600))
                }
                if let back = odooBackAt {
                    try await Task.sleep(until: back)
                    await odoo.odoo.setDown(false)
                }
                _ = try await zoho.control("DELETE", "faults")

                // Zoho revokes the refresh token: the instance must wait for re-authorization, not fail its jobs.
                let revokedTokens = try await zoho.control("POST", "revoke", ["client_id": .string(clientID)])
                #expect(revokedTokens["revoked"]?.intValue ?? 0 > 0)
                _ = try await zoho.control("POST", "expire_tokens", [:])
                let revoked = try #require(await odoo.odoo.all("res.partner").first?["id"]?.intValue)
                try await odoo.userWrite(revoked, ["function": "after revocation"])
                let deadline = ContinuousClock.now + .seconds(60)
                while try await Self.instanceState(sidecar, instance) != "needs_reauth", ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(try await Self.instanceState(sidecar, instance) == "needs_reauth")
                let waiting = try await sidecar.execute("zoho.job", "search_count", [[["state", "=", "waiting"]]]).intValue ?? 0
                let failedDuringRevocation = try await sidecar.execute("zoho.job", "search_count", [[["state", "=", "failed"]]]).intValue ?? 0
                #expect(failedDuringRevocation == 0, "a revocation fails no job")
                try await Self.authorize(sidecar, instance)

                _ = try await sidecar.execute("zoho.instance", "action_sync_now", [[.int(instance)]])
                try await Self.settle(sidecar, timeout: 600)
                let converged = ContinuousClock.now - started

                // Both sides, compared.
                let partners = await odoo.odoo.all("res.partner").filter { $0["active"] == true }
                let contacts = try await zoho.control("GET", "crm/eu/Contacts").arrayValue ?? []
                let partnerEmails = partners.compactMap { $0["email"]?.stringValue }
                let contactEmails = contacts.compactMap { $0["Email"]?.stringValue }
                let duplicates = (partnerEmails.count - Set(partnerEmails).count) + (contactEmails.count - Set(contactEmails).count)
                let missing = Set(emails).subtracting(partnerEmails).count + Set(emails).subtracting(contactEmails).count
                var mismatches: [String] = []
                for email in emails {
                    guard let p = partners.first(where: { $0["email"] == .string(email) }),
                        let c = contacts.first(where: { $0["Email"] == .string(email) })
                    else { continue }
                    for (o, z) in Self.fields where p[o]?.stringValue != c[z]?.stringValue {
                        mismatches.append("\(email): \(o) \(p[o]?.stringValue ?? "-") vs \(c[z]?.stringValue ?? "-")")
                    }
                }
                #expect(duplicates == 0, "duplicated records")
                #expect(missing == 0, "records missing on a side")
                #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
                let failed =
                    try await sidecar.execute("zoho.job", "search_read", [[["state", "=", "failed"]]], ["fields": ["kind", "last_error"]]).arrayValue
                    ?? []
                #expect(failed.isEmpty, "failed jobs: \(failed.prefix(5))")
                let open =
                    try await sidecar.execute("zoho.job", "search_count", [[["state", "in", ["pending", "running", "waiting"]]]]).intValue ?? -1
                #expect(open == 0)
                if open > 0 {
                    // What a stall looks like, for the next engineer: the instance, and the open jobs by state with their errors.
                    let stuck = try await sidecar.execute(
                        "zoho.job",
                        "read_group",
                        [[["state", "in", ["pending", "running", "waiting"]]], ["state"], ["state", "last_error"]],
                        ["lazy": false]
                    )
                    print("CHAOS stalled: instance \(try await Self.instanceState(sidecar, instance) ?? "-"); open jobs \(stuck.serialized())")
                }
                // Every acknowledged webhook's jobs ran.
                let accepted =
                    try await sidecar.execute("zoho.webhook.event", "search_read", [[["verdict", "=", "accepted"]]], ["fields": ["job_id"]])
                    .arrayValue ?? []
                let jobIDs = accepted.compactMap { $0["job_id"]?[0]?.intValue }
                let notDone =
                    jobIDs.isEmpty
                    ? 0
                    : (try await sidecar.execute(
                        "zoho.job",
                        "search_count",
                        [[["id", "in", .array(jobIDs.map { .int($0) })], ["state", "!=", "done"]]]
                    ).intValue ?? -1)
                #expect(notDone == 0, "acknowledged webhooks whose jobs did not finish")
                let requests = try await zoho.control("GET", "requests?since=\(startedAt)").arrayValue ?? []
                let faults = requests.filter { [500, 502, 504, 429, 0].contains($0["status"]?.intValue ?? 200) }.count
                print(
                    "CHAOS engine=\(engine) kills=\(killed) pg_restarts=\(pgRestarts) odoo_down_s=\(Int(Self.odooDownSeconds)) revocations=1 waiting_on_reauth=\(waiting) faults_injected=\(faults) records=\(emails.count) edits=\(edits) acknowledged_webhooks=\(jobIDs.count) duplicates=\(duplicates) records_lost=\(missing) mismatches=\(mismatches.count) failed_jobs=\(failed.count) converge_s=\(converged.components.seconds)"
                )
            }
        }
    }

    static func authorize(_ sidecar: ProcessSidecar, _ id: Int64) async throws {
        let action = try await sidecar.execute("zoho.instance", "action_authorize", [[.int(id)]])
        let consent = try await Browser.get(try #require(action["url"]?.stringValue))
        #expect(consent.status == 302)
        _ = try await Browser.get(try #require(consent.location))
        #expect(try await instanceState(sidecar, id) == "connected")
    }

    static func instanceState(_ sidecar: ProcessSidecar, _ id: Int64) async throws -> String? {
        try await sidecar.execute("zoho.instance", "read", [[.int(id)]], ["fields": ["state"]])[0]?["state"]?.stringValue
    }

    /// Until no job is pending, running or waiting for a while (forwards and callbacks arrive late).
    static func settle(_ sidecar: ProcessSidecar, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var quiet = 0
        while quiet < 8 {
            guard Date() < deadline else {
                Issue.record("jobs did not settle within \(timeout) s")
                return
            }
            let busy =
                (try? await sidecar.execute("zoho.job", "search_count", [[["state", "in", ["pending", "running", "waiting"]]]]).intValue) ?? 1
            quiet = busy == 0 ? quiet + 1 : 0
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Restarts the test PostgreSQL (scripts/pg-start exports where it lives).
    static func restartPostgres() throws {
        guard let dir = env["PG_TEST_DIR"], let bin = env["PG_TEST_BIN"] else {
            Issue.record("PG_TEST_DIR and PG_TEST_BIN are needed to restart PostgreSQL")
            return
        }
        let pgCtl = [bin + "/pg_ctl", "restart", "-D", dir + "/data", "-m", "fast", "-w", "-l", dir + "/log"]
        // PostgreSQL runs as 'postgres' when the tests run as root (see scripts/pg-start).
        let argv = getuid() == 0 ? ["/usr/bin/env", "runuser", "-u", "postgres", "--"] + pgCtl : pgCtl
        // posix_spawn and waitpid rather than Foundation's Process: the server pg_ctl leaves running
        // keeps inherited descriptors, and Process then never sees pg_ctl end.
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ) == 0 else {
            Issue.record("could not start pg_ctl")
            return
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(status == 0, "pg_ctl restart")
    }
}
