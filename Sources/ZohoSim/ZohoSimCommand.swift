import ArgumentParser

@main
struct ZohoSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "zoho-sim", abstract: "An offline Zoho (accounts, CRM, Books) for tests and demos.")
    func run() async throws {
        throw ValidationError("the simulator is not built yet")
    }
}
