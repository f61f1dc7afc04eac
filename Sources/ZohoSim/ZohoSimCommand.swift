import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Simulator

@main
struct ZohoSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoho-sim",
        abstract: "An offline Zoho (Accounts, CRM, Books, notifications) for trying the sidecar, tests and demos.",
        discussion: """
            Every data centre is served by this one process: http://HOST:PORT/<dc>/accounts/… and
            http://HOST:PORT/<dc>/api/… for dc in us, eu, in, au, jp, ca, sa, cn, uk. The control API
            under /_sim/… registers clients, edits records as a Zoho user, and injects faults.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 9100
    @Option(help: "Seed for ids and tokens, for runs that repeat exactly.") var seed: UInt64?
    @Option(help: "Keep state in this JSON file across restarts.") var stateFile: String?
    @Flag(help: "Approve consent requests without showing the consent page.") var autoApprove = false
    @Option(help: "Access token lifetime in seconds.") var accessTokenTTL: Double = 3600
    @Option(help: "Register a client at start: CLIENT_ID:CLIENT_SECRET:REDIRECT_URI (repeatable).") var client: [String] = []

    func run() async throws {
        var config = SimConfig()
        config.autoApprove = autoApprove
        config.accessTokenTTLSeconds = accessTokenTTL
        let sim = ZohoSimulator(config: config, seed: seed, host: host, port: port, stateFile: stateFile)
        for spec in client {
            let parts = spec.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3 else { throw ValidationError("--client expects CLIENT_ID:CLIENT_SECRET:REDIRECT_URI") }
            await sim.state.registerClient(id: parts[0], secret: parts[1], redirectURI: parts[2])
        }
        let app = try await sim.application { port in
            print("zoho-sim listening on http://\(host):\(port)  (accounts: /us/accounts, API: /us/api, control: /_sim)")
        }
        try await app.runService()
    }
}
