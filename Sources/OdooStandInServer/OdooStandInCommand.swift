import ArgumentParser
import AsyncHTTPClient
import Core
import Foundation
import Hummingbird
import NIOCore
import OdooStandIn

/// The tests' small Odoo as a process, for benchmarks that drive the sidecar from outside
/// (scripts/bench-sync): JSON-RPC on 127.0.0.1, and the addon's forwarding of writes when told where
/// the sidecar is.
@main
struct OdooStandInCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "odoo-standin",
        abstract: "The small Odoo stand-in of the tests (res.partner, crm.lead, product.template) over JSON-RPC.",
        discussion: """
            The API key and the sidecar's key come from the environment (ODOO_STANDIN_API_KEY,
            ODOO_STANDIN_SIDECAR_KEY), never from the command line, where other users could read them.
            """
    )

    @Option(help: "Port to listen on (0: any free port).") var port = 8069
    @Option(help: "Odoo series to behave as (17, 18 or 19).") var series = 17
    @Option(help: "Forward writes made without zoho_skip_push to this sidecar, as the addon does.") var sidecarURL: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let apiKey = env["ODOO_STANDIN_API_KEY"], !apiKey.isEmpty else {
            throw ValidationError("set ODOO_STANDIN_API_KEY to the key the sidecar will use as Odoo's password")
        }
        let standIn = OdooStandIn(apiKey: apiKey, series: series)
        if let sidecarURL {
            guard let key = env["ODOO_STANDIN_SIDECAR_KEY"], !key.isEmpty else {
                throw ValidationError("--sidecar-url needs ODOO_STANDIN_SIDECAR_KEY, an API key of that sidecar")
            }
            Secrets.register(key)
            let forwarder = Forwarder(url: sidecarURL + "/jsonrpc", key: key)
            await standIn.setForward { model, ids, operation, values in
                await forwarder.enqueuePush(model, ids, operation, values)
            }
        }
        let app = await standIn.application(port: port) { bound in
            print("odoo-standin listening on http://127.0.0.1:\(bound) (Odoo \(series), database \(OdooStandIn.database))")
        }
        try await app.runService()
    }
}

/// The addon's forwarding: every write reaches the sidecar's `zoho.job.enqueue_push`.
struct Forwarder: Sendable {
    let url: String
    let key: String

    func enqueuePush(_ model: String, _ ids: [Int64], _ operation: String, _ values: [String: JSONValue]) async {
        let args: [JSONValue] = [.string(model), .array(ids.map { .int($0) }), .string(operation), [], .object(values)]
        let body: JSONValue = [
            "jsonrpc": "2.0", "method": "call", "id": 1,
            "params": ["service": "object", "method": "execute_kw", "args": ["db", 1, .string(key), "zoho.job", "enqueue_push", .array(args), [:]]],
        ]
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body.serialized()))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
        } catch {
            // As the addon, a forward that fails is left to reconciliation.
            print("odoo-standin: a forward to the sidecar failed (reconciliation will catch it up): \(Secrets.redact("\(error)"))")
        }
    }
}
