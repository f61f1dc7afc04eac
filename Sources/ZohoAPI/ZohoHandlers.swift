import Core
import Queue

/// Job kinds that talk to Zoho and are not sync: diagnostics an operator (or a test) can enqueue.
public enum ZohoHandlers {
    /// `zoho.ping` on an instance: one cheap CRM call through the whole path (token, limits, errors).
    public static func ping(_ zoho: ZohoService) -> Handler {
        Handler(kind: "zoho.ping", maxAttempts: 3) { context in
            guard let id = context.job.instanceID else { throw JobError(.permanent, "zoho.ping needs an instance_id") }
            do {
                let org = try await zoho.client.call(id, .crm, .GET, "/crm/v8/org")
                return ["org": org.json?["org"]?[0]?["company_name"] ?? .null]
            } catch let error as ZohoError {
                throw error.jobError
            }
        }
    }
}
