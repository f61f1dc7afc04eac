import Foundation
import NIOCore
import NIOPosix

/// The listening port is taken: said in one line before anything else starts, instead of the
/// cancellations of every other service that a failed bind would otherwise bring.
public struct PortInUse: Error, CustomStringConvertible, Sendable {
    public let host: String
    public let port: Int

    public var description: String {
        "port \(port) on \(host) is in use by another program: stop it, or start the sidecar with --port and a free port"
    }
}

public enum PortProbe {
    /// Binds the address for a moment; throws `PortInUse` when another program listens there.
    public static func ensureFree(host: String, port: Int) async throws {
        guard port != 0 else { return }
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port)
                .get()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw PortInUse(host: host, port: port)
        }
        try await channel.close()
    }
}
