import Foundation
import Testing

/// `zoho-sidecar serve` as an operator meets it: what it says when it cannot start, and when it stops.
@Suite("Serve")
struct ServeTests {
    @Test("a port in use is said in one line and the second sidecar exits; SIGTERM stops the first with an info line")
    func busyPortAndShutdown() async throws {
        let first = try await ProcessSidecar(engine: .sqlite, settings: [:])
        try await first.start()
        defer { first.kill() }
        let second = try await ProcessSidecar(engine: .sqlite, settings: [:], port: first.port)
        #expect(throws: (any Error).self) { try second.run(["serve", "--port", String(first.port)]) }
        let said = second.log
        #expect(said.contains("port \(first.port) on 127.0.0.1 is in use by another program: stop it, or start the sidecar with --port"), "\(said)")
        for noise in ["ConnectionPoolError", "CancellationError", "errno"] {
            #expect(!said.contains(noise), "misleading \(noise) in: \(said)")
        }

        #expect(first.terminate() == 0)
        #expect(first.log.contains("zoho-sidecar stopped"), "\(first.log.suffix(500))")
    }
}
