import Core
import Foundation
import Hummingbird
import OdooStandIn

/// The Odoo stand-in on an ephemeral port, for the sync tests.
struct TestOdoo {
    static let apiKey = "odoo-standin-api-key-7f3a9c"
    let odoo: OdooStandIn
    let url: String

    /// Settings that point a sidecar at this Odoo.
    var settings: [String: String] {
        ["odoo_url": url, "odoo_db": OdooStandIn.database, "odoo_user": OdooStandIn.login, "odoo_api_key": Self.apiKey]
    }

    /// The stand-in playing Odoo `series` (17, 18 or 19).
    static func with<T>(series: Int = 17, _ body: (TestOdoo) async throws -> T) async throws -> T {
        TestLog.secret(apiKey)
        let odoo = OdooStandIn(apiKey: apiKey, series: series)
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        let app = await odoo.application { cont.yield($0) }
        let task = Task { try await app.runService() }
        defer { task.cancel() }
        var it = ports.makeAsyncIterator()
        return try await body(TestOdoo(odoo: odoo, url: "http://127.0.0.1:\(await it.next()!)"))
    }

    /// A user's write, as the web client would make it (no zoho_skip_push): forwarded to the sidecar.
    func userCreate(_ values: [String: JSONValue]) async throws -> Int64 {
        try await odoo.execute("res.partner", "create", [.object(values)], [:]).intValue!
    }

    func userWrite(_ id: Int64, _ values: [String: JSONValue]) async throws {
        _ = try await odoo.execute("res.partner", "write", [[.int(id)], .object(values)], [:])
    }

    func userUnlink(_ id: Int64) async throws {
        _ = try await odoo.execute("res.partner", "unlink", [[.int(id)]], [:])
    }
}
