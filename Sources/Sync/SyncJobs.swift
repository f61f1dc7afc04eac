import Core

/// The sync engine's job kinds and their payloads. The webhook gateway and reconciliation enqueue
/// them; the engine's handlers run them.
public enum SyncJobs {
    /// Fetch records from Zoho and apply them to Odoo.
    public static let pull = "zoho.pull"
    /// Read records from Odoo and apply them to Zoho.
    public static let push = "zoho.push"
    /// Zoho accepts at most 100 records per read or write call: a job never carries more.
    public static let batchLimit = 100
}

/// "These Zoho records changed": fetched again by id, so the payload carries no record data.
public struct PullRequest: Codable, Sendable, Equatable {
    public var app: String
    /// The CRM module (e.g. Contacts) or the Books entity (e.g. contact).
    public var object: String
    public var ids: [String]
    /// insert, update or delete as Zoho reported it; "change" when the sender does not say.
    public var operation: String
    /// Where the request came from: webhook, reconcile or manual.
    public var source: String

    public init(app: String, object: String, ids: [String], operation: String, source: String) {
        self.app = app
        self.object = object
        self.ids = ids
        self.operation = operation
        self.source = source
    }

    public var json: JSONValue {
        ["app": .string(app), "object": .string(object), "ids": .array(ids.map { .string($0) }),
         "operation": .string(operation), "source": .string(source)]
    }
}
