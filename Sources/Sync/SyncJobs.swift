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
    /// What Zoho said changed, per record id, when its callback told (`server_time` in ms and the new
    /// field values): lets the sync notice a person's edit its own write overwrote.
    public var changes: [String: ZohoChange]?

    public init(app: String, object: String, ids: [String], operation: String, source: String, changes: [String: ZohoChange]? = nil) {
        self.app = app
        self.object = object
        self.ids = ids
        self.operation = operation
        self.source = source
        self.changes = changes
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "app": .string(app), "object": .string(object), "ids": .array(ids.map { .string($0) }),
            "operation": .string(operation), "source": .string(source),
        ]
        if let changes, !changes.isEmpty { o["changes"] = .object(changes.mapValues(\.json)) }
        return .object(o)
    }
}

/// One record's change as Zoho's callback reported it.
public struct ZohoChange: Codable, Sendable, Equatable {
    /// Zoho's `server_time`, epoch milliseconds.
    public var time: Int64
    public var values: [String: JSONValue]

    public init(time: Int64, values: [String: JSONValue]) {
        self.time = time
        self.values = values
    }

    public var json: JSONValue { ["time": .int(time), "values": .object(values)] }
}
