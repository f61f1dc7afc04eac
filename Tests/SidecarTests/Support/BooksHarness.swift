import Core
import Foundation
import Simulator
import Store
import Testing

/// A SyncHarness whose instance syncs CRM and Books, against a simulated Books as strict as Zoho's
/// documentation (its limits per organization), with Books' minute shortened alike on both sides: 3 s,
/// with the sidecar keeping 27 calls a window and the simulator allowing 30, Books' 90 and 100 scaled.
/// Long enough that a loaded machine's delays in transit stay a small share of the window.
struct BooksHarness {
    static let org = "10234696"  // the simulator's Books organization in the EU
    static let scopes = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.org.READ,ZohoCRM.notifications.ALL,ZohoBooks.contacts.ALL"
    let h: SyncHarness

    static func with<T>(
        _ engine: Engine,
        windowSeconds: Int = 3,
        scopes: String = BooksHarness.scopes,
        settings: [String: String] = [:],
        _ configure: @escaping (inout SimConfig) -> Void = { _ in },
        _ body: (BooksHarness) async throws -> T
    ) async throws -> T {
        let limits = ["books_window_seconds": "\(windowSeconds)", "books_requests_per_minute": "\(9 * windowSeconds)"]
        return try await SyncHarness.with(engine, settings: limits.merging(settings) { _, b in b }) { config in
            config.booksWindowSeconds = Double(windowSeconds)
            config.booksRequestsPerWindow = 10 * windowSeconds
            configure(&config)
        } _: { h in
            _ = try await h.s.execute(
                "zoho.instance",
                "write",
                [[.int(h.instance)], ["apps": ["crm", "books"], "books_organization_id": .string(org), "scopes": .string(scopes)]]
            )
            _ = try await OAuthTests.authorize(h.s, h.instance)
            return try await body(BooksHarness(h: h))
        }
    }

    /// Partners made in Odoo without forwarding them (as if they were there before the sidecar).
    func seedPartners(_ count: Int) async throws {
        for i in 0..<count {
            _ = try await h.odoo.odoo.execute(
                "res.partner",
                "create",
                [["name": .string("Partner \(i)"), "email": .string("p\(i)@example.com")]],
                ["context": ["zoho_skip_push": true]]
            )
        }
    }

    func booksContacts() async throws -> [JSONValue] {
        try await h.zoho.control("GET", "books/eu/\(Self.org)/contacts").arrayValue ?? []
    }

    func booksItems() async throws -> [JSONValue] {
        try await h.zoho.control("GET", "books/eu/\(Self.org)/items").arrayValue ?? []
    }

    /// Every Books API call the simulator answered for the organization.
    func booksCalls() async throws -> [JSONValue] {
        (try await h.zoho.control("GET", "requests?path_prefix=/api/books/v3/contacts").arrayValue ?? []).filter {
            $0["query"]?.stringValue?.contains("organization_id=\(Self.org)") == true
        }
    }

    func progress(_ mapping: String) async throws -> JSONValue? {
        let rows = try await h.s.execute("zoho.instance", "read", [[.int(h.instance)]], ["fields": ["sync_progress"]])
        let text = rows[0]?["sync_progress"]
        return (text?.stringValue.flatMap { try? JSONValue.parse($0) } ?? text)?[mapping]
    }

    func initialSync() async throws {
        _ = try await h.s.execute("zoho.instance", "action_initial_sync", [[.int(h.instance)]])
    }
}

/// What the simulator saw of Books: calls, the most in any window, and 429s.
struct BooksTraffic: CustomStringConvertible {
    let calls: Int
    let maxInWindow: Int
    let tooMany: Int
    let seconds: Double

    init(_ log: [JSONValue], windowSeconds: Double) {
        let times = log.compactMap { $0["time"]?.intValue }.sorted()
        let window = Int64(windowSeconds * 1e6)
        var most = 0
        var first = 0
        for (i, t) in times.enumerated() {
            while t - times[first] >= window { first += 1 }
            most = max(most, i - first + 1)
        }
        calls = log.count { $0["status"]?.intValue != 429 }
        maxInWindow = most
        tooMany = log.count { $0["status"]?.intValue == 429 }
        seconds = Double((times.last ?? 0) - (times.first ?? 0)) / 1e6
    }

    var description: String {
        "Books calls \(calls), most in any window \(maxInWindow), 429s \(tooMany), over \(String(format: "%.1f", seconds)) s"
    }
}
