import Core
import OdooRPC
import Queue
import Store
import ZohoAPI

/// The instance form's buttons: authorize, test, refresh, revoke, disable, and the webhook secret.
public enum InstanceActions {
    public static func register(on registry: inout ModelRegistry) {
        let model = SidecarModels.instance.name
        func each(_ method: String, _ body: @escaping @Sendable (Int64, ZohoService, JobQueue) async throws -> JSONValue) {
            registry.register(method, on: model) { call in
                try await call.service.checkAccess(call.model, call.ids, call.env, operation: method)
                let zoho = try call.service.components.requireZoho()
                let queue = try call.service.components.requireQueue()
                var results: [JSONValue] = []
                do {
                    for id in call.ids { results.append(try await body(id, zoho, queue)) }
                } catch let error as ZohoError {
                    throw OdooFault(.userError, error.message)
                }
                return call.ids.count == 1 ? results[0] : .array(results)
            }
        }
        each("action_authorize") { id, zoho, _ in
            ["type": "ir.actions.act_url", "url": .string(try await zoho.flow.authorizationURL(id)), "target": "self"]
        }
        each("action_test_connection") { id, zoho, _ in try await zoho.testConnection(id) }
        each("action_refresh_token") { id, zoho, _ in
            let current = try await zoho.instances.load(id)
            let refreshed = try await zoho.keeper.refresh(id, rejected: current?.accessToken, validUntil: Int64.max)
            return ["token_expiry": refreshed.tokenExpiresAt.map { .string(Clock.odooString($0)) } ?? false, "state": .string(refreshed.state)]
        }
        each("action_revoke") { id, zoho, queue in
            try await zoho.revoke(id, queue: queue)
            return true
        }
        each("action_disable") { id, zoho, queue in
            try await zoho.disable(id, queue: queue)
            return true
        }
        each("action_enable") { id, zoho, queue in
            guard let i = try await zoho.instances.load(id) else { return false }
            try await zoho.instances.setState(id, i.refreshToken == nil ? "draft" : "connected", error: nil)
            if i.refreshToken != nil { try await queue.resumeInstance(id) }
            return true
        }
        each("action_show_webhook_secret") { id, zoho, _ in
            // The one place a secret leaves the sidecar: a manager copying it into Zoho's webhook setup.
            ["webhook_secret": .string(try await zoho.instances.load(id)?.webhookSecret ?? "")]
        }
        each("action_regenerate_webhook_secret") { id, zoho, _ in
            let secret = Random.token(bytes: 24)
            try await zoho.instances.store.execute(
                SQL(
                    "UPDATE instances SET webhook_secret_enc = ?, updated_at = ? WHERE id = ?",
                    [.blob(try zoho.instances.vault.seal(secret)), .int(Clock.now()), .int(id)]
                )
            )
            return ["webhook_secret": .string(secret)]
        }
    }
}
