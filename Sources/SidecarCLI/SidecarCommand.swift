import ArgumentParser

@main
struct SidecarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoho-sidecar",
        abstract: "Connects Zoho (CRM, Books, People, Desk) with Odoo, two ways, reliably.",
        subcommands: [Serve.self, Migrate.self, APIKeyCommand.self, JobsCommand.self, KeysCommand.self, Docs.self, Bench.self])
}
