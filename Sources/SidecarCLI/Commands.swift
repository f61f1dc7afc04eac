import ArgumentParser
import Core
import Foundation
import Hummingbird
import Logging
import RPCModels
import Server
import ServiceLifecycle
import Store

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the sidecar: HTTP (JSON-RPC, JSON-2, webhooks, health) and workers.")
    @OptionGroup var options: SettingsOptions

    func run() async throws {
        let sidecar = try await openSidecar(options)
        let logger = sidecar.logger
        do {
            try await PortProbe.ensureFree(host: sidecar.server.host, port: sidecar.server.port)
        } catch {
            await sidecar.store.close()
            throw error
        }
        let app = sidecar.application { port in
            logger.info(
                "zoho-sidecar \(Sidecar.version) listening",
                metadata: ["address": "\(sidecar.server.host):\(port)", "store": "\(sidecar.store.location)"]
            )
        }
        let group = ServiceGroup(services: [app] + sidecar.backgroundServices, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        await sidecar.store.close()
        logger.info("zoho-sidecar stopped")
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply schema migrations and exit (serve also applies them on start).")
    @OptionGroup var options: SettingsOptions

    func run() async throws {
        try await withSidecar(options) { sidecar in
            print("schema version \(try await Migrator.currentVersion(sidecar.store)) (latest \(Migrator.latest)) at \(sidecar.store.location)")
        }
    }
}

struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey",
        abstract: "Manage the API keys RPC clients log in with.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it once; only its hash is stored.")
        @Option(help: "A name for the key; RPC clients use it as their login.") var name: String
        @OptionGroup var options: SettingsOptions

        func run() async throws {
            try await withSidecar(options) { sidecar in
                let (id, key) = try await sidecar.keys.create(name: name)
                print("uid \(id), login \(name)\n\(key)\nStore it now: it is not shown again.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never the keys themselves).")
        @OptionGroup var options: SettingsOptions

        func run() async throws {
            try await withSidecar(options) { sidecar in
                print("ID  NAME                 PREFIX    CREATED              LAST USED            REVOKED")
                for k in try await sidecar.keys.list() {
                    print(
                        [
                            String(k.id).padding(toLength: 3, withPad: " ", startingAt: 0), k.name.padding(toLength: 20, withPad: " ", startingAt: 0),
                            k.prefix.padding(toLength: 9, withPad: " ", startingAt: 0), Clock.odooString(k.createdAt),
                            k.lastUsedAt.map(Clock.odooString) ?? "-                  ", k.revokedAt.map(Clock.odooString) ?? "-",
                        ].joined(separator: " ")
                    )
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id or name.")
        @Argument(help: "The key's id or name.") var key: String
        @OptionGroup var options: SettingsOptions

        func run() async throws {
            try await withSidecar(options) { sidecar in
                let n = try await sidecar.keys.revoke(key)
                guard n > 0 else { throw CLIError("no live key with id or name '\(key)'") }
                print("revoked \(n) key\(n == 1 ? "" : "s")")
            }
        }
    }
}

struct Docs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write the generated reference (docs/models.md, docs/settings.md).")
    @Option(help: "Directory to write into.") var output = "docs"

    func run() async throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try ModelDocs.markdown(Sidecar.registry()).write(toFile: output + "/models.md", atomically: true, encoding: .utf8)
        try SidecarSettings.markdown().write(toFile: output + "/settings.md", atomically: true, encoding: .utf8)
        print("wrote \(output)/models.md and \(output)/settings.md")
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "The master key that seals secrets at rest.",
        subcommands: [Rotate.self]
    )

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-encrypt every stored secret under a new master key.",
            discussion: """
                With a key file (data_dir/master.key) the new key replaces it; the old one is kept as master.key.old
                until you delete it. With ZOHO_SIDECAR_MASTER_KEY, pass the new key in ZOHO_SIDECAR_NEW_MASTER_KEY
                and switch the variable after the command succeeds. Stop other sidecars first.
                """
        )
        @OptionGroup var options: SettingsOptions

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            try await withSidecar(options) { sidecar in
                let dataDir = (try options.resolve())["data_dir"] ?? "./.zoho-sidecar"
                let keyFile = (dataDir as NSString).appendingPathComponent("master.key")
                let fromEnvironment = environment["ZOHO_SIDECAR_MASTER_KEY"] != nil
                let newKey = environment["ZOHO_SIDECAR_NEW_MASTER_KEY"] ?? (fromEnvironment ? nil : Vault.generateKey())
                guard let newKey else {
                    throw CLIError("the master key comes from ZOHO_SIDECAR_MASTER_KEY: put the new key in ZOHO_SIDECAR_NEW_MASTER_KEY")
                }
                let newVault = try Vault(base64Key: newKey)
                let n = try await sidecar.vault.rotate(to: newVault, in: sidecar.store)
                if !fromEnvironment {
                    let fm = FileManager.default
                    try? fm.removeItem(atPath: keyFile + ".old")
                    try fm.moveItem(atPath: keyFile, toPath: keyFile + ".old")
                    guard fm.createFile(atPath: keyFile, contents: Data((newKey + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                        throw CLIError("secrets were re-sealed but \(keyFile) could not be written: restore it from the new key by hand")
                    }
                }
                print(
                    "re-sealed \(n) secret(s) under the new master key\(fromEnvironment ? "; now set ZOHO_SIDECAR_MASTER_KEY to the new key" : " (old key kept in \(keyFile).old)")"
                )
            }
        }
    }
}
