import ArgumentParser

@main
struct SidecarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoho-sidecar",
        abstract: "Connects Zoho (CRM, Books, People, Desk) with Odoo, two ways, reliably.",
        subcommands: [
            Serve.self, Migrate.self, HealthCommand.self, StatsCommand.self, InstancesCommand.self, JobsCommand.self, APIKeyCommand.self,
            KeysCommand.self, Docs.self, Bench.self,
        ]
    )
}
