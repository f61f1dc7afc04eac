import Core
import NIOHTTP1

/// Field and module metadata: what Zoho has, so that a mapping a person made can be checked against
/// it. Answers are kept for `metadata.ttlSeconds` per instance and module.
extension ZohoClient {
    /// CRM's modules (`GET /crm/v8/settings/modules`; scope ZohoCRM.settings.modules.READ).
    public func crmModules(_ instanceID: Int64) async throws -> [ZohoModule] {
        try await metadata.value("\(instanceID):crm:modules") {
            let exchange = try await metadataCall(
                instanceID,
                .crm,
                "/crm/v8/settings/modules",
                [],
                subject: "CRM's modules",
                scope: "ZohoCRM.settings.modules.READ"
            )
            return try Self.list(exchange, key: "modules", subject: "CRM's modules").compactMap(ZohoModule.init(json:))
        }
    }

    /// The fields of a CRM module, standard and custom (`GET /crm/v8/settings/fields?module=`; scope
    /// ZohoCRM.settings.fields.READ). `module` is the module's API name, e.g. Leads.
    public func crmFields(_ instanceID: Int64, module: String) async throws -> [ZohoField] {
        try await metadata.value("\(instanceID):crm:fields:\(module)") {
            let subject = "the fields of CRM module \(module)"
            let exchange = try await metadataCall(
                instanceID,
                .crm,
                "/crm/v8/settings/fields",
                [("module", module)],
                subject: subject,
                scope: "ZohoCRM.settings.fields.READ"
            )
            return try Self.list(exchange, key: "fields", subject: subject).compactMap(ZohoField.init(crm:))
        }
    }

    /// The fields of a Books entity (`contact`, `item`): the documented standard ones
    /// (`BooksStandardFields`), then the organization's custom fields from
    /// `GET /books/v3/settings/fields?entity=` (scope ZohoBooks.settings.READ).
    public func booksFields(_ instanceID: Int64, entity: String) async throws -> [ZohoField] {
        try await metadata.value("\(instanceID):books:fields:\(entity)") {
            let subject = "the custom fields of Books \(entity)s"
            let query = [("entity", entity), ("filter_custom_fields", "true")]
            let exchange = try await metadataCall(
                instanceID,
                .books,
                "/books/v3/settings/fields",
                query,
                subject: subject,
                scope: "ZohoBooks.settings.READ"
            )
            let custom = try Self.list(exchange, key: "fields", subject: subject).compactMap(ZohoField.init(books:))
            return BooksStandardFields.fields(entity) + custom
        }
    }

    /// One metadata call, with Zoho's refusals told in words that say what to change.
    func metadataCall(
        _ instanceID: Int64,
        _ app: App,
        _ path: String,
        _ query: [(String, String)],
        subject: String,
        scope: String
    ) async throws -> Exchange {
        do {
            return try await call(instanceID, app, .GET, path, query: query)
        } catch let error as ZohoError {
            throw Self.explain(error, app: app, named: query.first?.1 ?? "", subject: subject, scope: scope, instanceID: instanceID)
        }
    }

    /// Zoho's refusal of a metadata call in words that say what to change; other failures unchanged.
    static func explain(_ error: ZohoError, app: App, named: String, subject: String, scope: String, instanceID: Int64) -> ZohoError {
        guard case .rejected(let code) = error.kind else { return error }
        let message: String
        switch code {
        case "INVALID_MODULE":
            message =
                "Zoho CRM has no module with the API name \(named) (INVALID_MODULE): use the API name, such as Leads or Contacts, "
                + "as the list of CRM modules gives it"
        case "OAUTH_SCOPE_MISMATCH", "57":
            message =
                "Zoho refused to show \(subject) (\(code)): instance \(instanceID) was not authorized for \(scope); "
                + "add it (or \(app == .crm ? "ZohoCRM.settings.ALL" : "ZohoBooks.settings.ALL")) to the instance's scopes and authorize again"
        case "4" where app == .books:
            message = "Zoho Books has no custom fields for an entity named \(named) (code 4): use contact or item"
        default:
            return error
        }
        return ZohoError(.rejected(code: code), message, exchange: error.exchange)
    }

    /// The list under `key`; nothing when Zoho answers 204 (no content).
    static func list(_ exchange: Exchange, key: String, subject: String) throws -> [JSONValue] {
        if exchange.status == 204 || exchange.body.isEmpty { return [] }
        guard let list = exchange.json?[key]?.arrayValue else {
            throw ZohoError(
                .rejected(code: "UNREADABLE_METADATA"),
                "Zoho answered \(subject) without a \"\(key)\" list (HTTP \(exchange.status))",
                exchange: exchange.record
            )
        }
        return list
    }
}
