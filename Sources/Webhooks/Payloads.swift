import Core
import Crypto
import Foundation
import Sync

/// A delivery understood: which records changed and how, and what recognises it if Zoho sends it again.
public struct WebhookEvent: Sendable, Equatable {
    /// The CRM module or Books entity the records belong to.
    public var object: String
    public var ids: [String]
    /// insert, update or delete; "change" when the sender does not say (Books' default payload).
    public var operation: String
    /// Same key, same event: a hash of (channel, ids, operation, server time) for CRM notifications,
    /// of the body for everything else.
    public var dedupKey: String
    /// The channel token a CRM notification presents, to be checked against the instance's.
    public var channelToken: String?
    /// The changed values per record, when the channel asked for them (`affected_values`).
    public var changes: [String: ZohoChange] = [:]
}

/// Why a body could not be taken: the sender gets this message with the 400.
public struct MalformedWebhook: Error, Sendable {
    public let message: String
}

/// The body of an incoming webhook, decoded once for both the authenticity check and the parser.
public struct WebhookBody: Sendable {
    public let bytes: [UInt8]
    public let sha256: String
    /// The parsed JSON, when the body is JSON.
    public let json: JSONValue?
    /// The decoded pairs, when the body is form-encoded.
    public let form: [(String, String)]?

    public init(bytes: [UInt8], contentType: String?) {
        self.bytes = bytes
        self.sha256 = SHA256.hash(data: bytes).hex
        let type = contentType?.lowercased() ?? ""
        if type.contains("x-www-form-urlencoded") {
            json = nil
            form = FormEncoding.pairs(String(decoding: bytes, as: UTF8.self))
        } else {
            json = try? JSONValue.parse(bytes)
            form = nil
        }
    }
}

/// Reads Zoho's real bodies: CRM notification callbacks, CRM workflow webhooks (JSON or form) and
/// Books' default payload (`{"contact": {…}}`).
public enum WebhookParser {
    public static func parse(app: String, object: String, body: WebhookBody) throws(MalformedWebhook) -> WebhookEvent {
        if let json = body.json, json["channel_id"] != nil, json["ids"] != nil {
            return try notification(json)
        }
        let fields = try flatFields(body)
        var ids: [String] = []
        switch app {
        case "books":
            // The default payload wraps the entity under its name; a custom body may carry the id at the top.
            let entity =
                fields[object]?.objectValue ?? fields.values.compactMap(\.objectValue).first(where: { $0.keys.contains { $0.hasSuffix("_id") } })
            ids = [entity?["\(object)_id"] ?? entity?["id"] ?? fields["\(object)_id"] ?? fields["id"]].compactMap { $0.flatMap(text) }
        default:
            // A workflow webhook carries the fields its admin chose: one id, or a list of them.
            if let list = fields["ids"] {
                if let array = list.arrayValue {
                    ids = array.compactMap(text)
                } else if let string = list.stringValue {
                    ids = try idList(string)
                }
            } else {
                ids = ["id", "Id", "ID", "record_id", "recordId"].lazy.compactMap { fields[$0].flatMap(text) }.first.map { [$0] } ?? []
            }
        }
        guard !ids.isEmpty else {
            throw MalformedWebhook(
                message:
                    "no record id in the body: send the record's id in a field named \(app == "books" ? "\(object)_id" : "id (or a list named ids)")"
            )
        }
        let operation = fields["operation"].flatMap(text).map(normalised) ?? "change"
        var checkedIDs: [String] = []
        for id in ids { checkedIDs.append(try checked(id)) }
        return WebhookEvent(object: object, ids: checkedIDs, operation: operation, dedupKey: body.sha256, channelToken: nil)
    }

    /// A CRM notification callback (facts §7a): `ids` may batch several records.
    static func notification(_ json: JSONValue) throws(MalformedWebhook) -> WebhookEvent {
        guard let module = json["module"]?.stringValue, !module.isEmpty else { throw MalformedWebhook(message: "notification without a module") }
        guard let list = json["ids"]?.arrayValue, !list.isEmpty else { throw MalformedWebhook(message: "notification without ids") }
        var ids: [String] = []
        for value in list {
            guard let id = text(value) else { throw MalformedWebhook(message: "notification ids must be strings or numbers") }
            ids.append(try checked(id))
        }
        guard let operation = json["operation"]?.stringValue, ["insert", "update", "delete"].contains(operation) else {
            throw MalformedWebhook(message: "notification operation must be insert, update or delete")
        }
        let channel = json["channel_id"].flatMap(text) ?? ""
        let serverTime = json["server_time"].flatMap(text) ?? ""
        let key = SHA256.hash(data: Data("crm-notification|\(channel)|\(ids.sorted().joined(separator: ","))|\(operation)|\(serverTime)".utf8)).hex
        var changes: [String: ZohoChange] = [:]
        if let time = json["server_time"]?.intValue {
            for item in json["affected_values"]?.arrayValue ?? [] {
                if let id = item["record_id"].flatMap(text), let values = item["values"]?.objectValue {
                    changes[id] = ZohoChange(time: time, values: values)
                }
            }
        }
        return WebhookEvent(object: module, ids: ids, operation: operation, dedupKey: key, channelToken: json["token"]?.stringValue, changes: changes)
    }

    /// The top-level fields of a JSON object or a form.
    static func flatFields(_ body: WebhookBody) throws(MalformedWebhook) -> [String: JSONValue] {
        if let form = body.form {
            var fields: [String: JSONValue] = [:]
            for (k, v) in form where fields[k] == nil {
                // Books can send its payload form-encoded as JSONString=…
                if k == "JSONString", let inner = try? JSONValue.parse(v), let object = inner.objectValue {
                    fields.merge(object) { old, _ in old }
                } else {
                    fields[k] = .string(v)
                }
            }
            return fields
        }
        guard let json = body.json else {
            throw MalformedWebhook(message: body.bytes.isEmpty ? "empty body" : "the body is neither JSON nor form-encoded")
        }
        guard let object = json.objectValue else { throw MalformedWebhook(message: "the body must be a JSON object") }
        return object
    }

    static func text(_ value: JSONValue) -> String? {
        if let s = value.stringValue { return s }
        if let i = value.intValue { return String(i) }
        return nil
    }

    static func normalised(_ operation: String) -> String {
        switch operation.lowercased() {
        case "insert", "create", "created": "insert"
        case "update", "edit", "edited", "updated": "update"
        case "delete", "deleted": "delete"
        default: "change"
        }
    }

    /// Record ids go into job payloads and Zoho URLs: only the characters Zoho's ids use.
    static func checked(_ id: String) throws(MalformedWebhook) -> String {
        guard (1...64).contains(id.utf8.count),
            id.utf8.allSatisfy({ c in
                (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95
            })
        else {
            throw MalformedWebhook(message: "record id \(id.prefix(70).debugDescription) is not a Zoho id (1–64 letters, digits, '-' or '_')")
        }
        return id
    }

    /// A workflow webhook's `ids` given as text: Zoho's numeric ids, comma-separated. Anything else
    /// (`"ids": "notalist"`) is refused rather than sent to Zoho as one id.
    static func idList(_ text: String) throws(MalformedWebhook) -> [String] {
        let ids = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !ids.isEmpty, ids.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }) else {
            throw MalformedWebhook(
                message: "ids must be a list of record ids, or Zoho's numeric ids separated by commas; got \(text.prefix(70).debugDescription)"
            )
        }
        return ids
    }
}

/// `application/x-www-form-urlencoded`, as browsers and Zoho write it ('+' for space, %XX escapes).
public enum FormEncoding {
    public static func pairs(_ text: Substring) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(kv[0]), kv.count > 1 ? decode(kv[1]) : "")
        }
    }

    public static func pairs(_ text: String) -> [(String, String)] { pairs(text[...]) }

    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "+") {
                bytes.append(32)
            } else if c == UInt8(ascii: "%"), it.count >= 2, let h = hex(it[it.startIndex]), let l = hex(it[it.startIndex + 1]) {
                bytes.append(h << 4 | l)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 65...70: c - 55
        case 97...102: c - 87
        default: nil
        }
    }
}
