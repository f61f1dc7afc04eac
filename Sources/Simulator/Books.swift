import Core
import Foundation

struct BooksOrg: Codable, Sendable {
    var dc: String
    var organizationID: String
    var name: String
    var contacts: [String: BooksRecord] = [:]
    /// Items (optional: state files from before them lack it).
    var items: [String: BooksRecord]? = [:]
    var nextID: Int64 = 1
    /// Request times in the last window, for the 100 requests/minute limit.
    var recent: [Micros] = []
    /// Request times in the last day, for the daily quota (optional: state files from before it lack it).
    var today: [Micros]? = []
    var webhooks: [BooksWebhook] = []
    /// Custom fields an administrator added (optional: state files from before them lack it).
    var customFields: [BooksCustomField]? = []

    /// The records of one entity.
    subscript(records entity: BooksEntity) -> [String: BooksRecord] {
        get { entity == .contact ? contacts : items ?? [:] }
        set {
            if entity == .contact {
                contacts = newValue
            } else {
                items = newValue
            }
        }
    }
}

/// A contact or an item.
struct BooksRecord: Codable, Sendable {
    var id: String
    var fields: [String: JSONValue]
    var created: Micros
    var modified: Micros
}

/// A workflow rule's webhook: Books sets them per module (facts §7c).
struct BooksWebhook: Codable, Sendable {
    var url: String
    var events: [String]
    var headers: [String: String]
    var query: [String: String]
    var secret: String?
    /// The entity it fires for (optional: state files from before items lack it, and meant contacts).
    var entity: BooksEntity?
}

/// Zoho Books v3: organizations, contacts and items, its `{"code":0,…}` envelope, its errors and its limit.
extension SimState {
    func booksTime(_ micros: Micros) -> String {
        // Books writes offsets without a colon: 2013-10-07T18:24:51+0530.
        zohoTime(micros).replacingOccurrences(of: #":(\d\d)$"#, with: "$1", options: .regularExpression)
    }

    func booksKey(_ dc: String, _ org: String) -> String { dc + "/" + org }

    func booksAPI(_ r: SimRequest, _ at: AccessToken) -> SimResponse {
        let route = Array(r.path.dropFirst(3))  // after api, books, v3
        let scopes = at.scopes.map { $0.uppercased() }
        guard scopes.contains(where: { $0.hasPrefix("ZOHOBOOKS.") }) else { return BooksError.unauthorized }
        if route == ["organizations"] {
            let mine = books.values.filter { $0.dc == r.dc }.sorted { $0.organizationID < $1.organizationID }
            return .json(
                200,
                [
                    "code": 0, "message": "success",
                    "organizations": .array(
                        mine.map {
                            ["organization_id": .string($0.organizationID), "name": .string($0.name), "is_default_org": true, "currency_code": "USD"]
                        }
                    ),
                ]
            )
        }
        let entity = route.first.flatMap(BooksEntity.init(plural:))
        guard entity != nil || route == ["settings", "fields"] else { return BooksError.response(404, 5, "Invalid URL Passed") }
        guard let orgID = r.query["organization_id"], !orgID.isEmpty else {
            return BooksError.response(400, 6041, "organization_id is required")
        }
        guard var org = books[booksKey(r.dc, orgID)] else {
            return BooksError.response(400, 6041, "This user is not associated with the organization_id \(orgID).")
        }
        let now = now()
        let window = Int64(config.booksWindowSeconds * 1e6)
        org.recent = org.recent.filter { now - $0 < window }
        var today = (org.today ?? []).filter { now - $0 < window * 1_440 }
        // A refused call counts against neither limit.
        guard today.count < config.booksDailyQuota else {
            org.today = today
            books[booksKey(r.dc, orgID)] = org
            return BooksError.dailyQuotaExceeded(retryAfter: config.retryAfterSeconds)
        }
        guard org.recent.count < config.booksRequestsPerWindow else {
            org.today = today
            books[booksKey(r.dc, orgID)] = org
            return BooksError.tooManyRequests(retryAfter: config.retryAfterSeconds)
        }
        org.recent.append(now)
        today.append(now)
        org.today = today
        books[booksKey(r.dc, orgID)] = org
        let allowed = { (family: String, op: String) in
            scopes.contains { $0 == "ZOHOBOOKS.FULLACCESS.ALL" || $0 == "ZOHOBOOKS.\(family).ALL" || $0 == "ZOHOBOOKS.\(family).\(op)" }
        }
        guard let entity else {
            // The Custom Fields API asks for ZohoBooks.settings scopes.
            guard allowed("SETTINGS", "READ") else { return BooksError.unauthorized }
            guard r.method == "GET" else { return BooksError.response(405, 37, "The HTTP method is not allowed for the requested resource") }
            return booksSettingsFields(r, orgID)
        }
        let rest = Array(route.dropFirst())
        guard rest.count <= 2 else { return BooksError.response(404, 5, "Invalid URL Passed") }
        let key = booksKey(r.dc, orgID)
        switch (r.method, rest.first, rest.count == 2 ? rest[1] : nil) {
        case ("GET", nil, _):
            guard allowed(entity.scope, "READ") else { return BooksError.unauthorized }
            return booksList(r, orgID, entity)
        case ("GET", let id?, nil):
            guard allowed(entity.scope, "READ") else { return BooksError.unauthorized }
            guard let record = books[key]![records: entity][id] else { return entity.missing.response }
            return .json(200, ["code": 0, "message": "success", entity.rawValue: presentBooks(record, entity)])
        case ("POST", nil, _):
            guard allowed(entity.scope, "CREATE") else { return BooksError.unauthorized }
            return booksWrite(r, orgID, entity, id: nil)
        case ("PUT", let id?, nil):
            guard allowed(entity.scope, "UPDATE") else { return BooksError.unauthorized }
            return booksWrite(r, orgID, entity, id: id)
        case ("DELETE", let id?, nil):
            guard allowed(entity.scope, "DELETE") else { return BooksError.unauthorized }
            guard let removed = books[key]![records: entity].removeValue(forKey: id) else { return entity.missing.response }
            booksWebhook(r.dc, orgID, entity, event: "delete", record: presentBooks(removed, entity))
            return .json(200, ["code": 0, "message": .string(entity.deleted)])
        case ("POST", let id?, let status?) where status == "active" || status == "inactive":
            // Billing's items page puts marking under the create scope; Books is taken to do the same [?].
            guard allowed(entity.scope, "CREATE") else { return BooksError.unauthorized }
            return booksMark(r.dc, orgID, entity, id: id, status: status)
        default:
            return BooksError.response(405, 37, "The HTTP method is not allowed for the requested resource")
        }
    }

    func presentBooks(_ record: BooksRecord, _ entity: BooksEntity) -> JSONValue {
        var o = record.fields
        o[entity.idField] = .string(record.id)
        o["created_time"] = .string(booksTime(record.created))
        o["last_modified_time"] = .string(booksTime(record.modified))
        // Books answers every column of its records, an unset one as "" [?]: a list page carries whole records.
        for field in entity.listed where o[field] == nil { o[field] = "" }
        for (field, value) in entity.defaults where o[field] == nil { o[field] = value }
        return .object(o)
    }

    func booksList(_ r: SimRequest, _ orgID: String, _ entity: BooksEntity) -> SimResponse {
        let page = max(1, Int(r.query["page"] ?? "1") ?? 1)
        let perPage = min(200, max(1, Int(r.query["per_page"] ?? "200") ?? 200))
        let filter = r.query["filter_by"] ?? entity.defaultFilter
        guard ["Status.All", "Status.Active", "Status.Inactive"].contains(filter) else {
            return BooksError.response(400, 4, "Invalid value passed for filter_by")
        }
        var list = Array(books[booksKey(r.dc, orgID)]![records: entity].values)
        if filter != "Status.All" {
            let status = filter == "Status.Active" ? "active" : "inactive"
            list = list.filter { ($0.fields["status"]?.stringValue ?? "active") == status }
        }
        if let email = r.query["email"]?.lowercased() { list = list.filter { $0.fields["email"]?.stringValue?.lowercased() == email } }
        if let name = r.query[entity.nameField] { list = list.filter { $0.fields[entity.nameField]?.stringValue == name } }
        if let text = r.query["search_text"]?.lowercased() {
            list = list.filter { $0.fields.values.contains { $0.stringValue?.lowercased().contains(text) == true } }
        }
        if let since = r.query["last_modified_time"].flatMap(Clock.parseOdoo) { list = list.filter { $0.modified > since } }
        let column = r.query["sort_column"] ?? entity.nameField
        let ascending = (r.query["sort_order"] ?? "A") == "A"
        let time: ((BooksRecord) -> Micros)? = column == "last_modified_time" ? { $0.modified } : column == "created_time" ? { $0.created } : nil
        let name = { (record: BooksRecord) in record.fields[entity.nameField]?.stringValue ?? "" }
        list.sort { a, b in
            if let time, time(a) != time(b) { return ascending ? time(a) < time(b) : time(a) > time(b) }
            if time == nil, name(a) != name(b) { return ascending ? name(a) < name(b) : name(a) > name(b) }
            return a.id < b.id
        }
        let slice = Array(list.dropFirst((page - 1) * perPage).prefix(perPage))
        return .json(
            200,
            [
                "code": 0, "message": "success", entity.plural: .array(slice.map { presentBooks($0, entity) }),
                "page_context": [
                    "page": .int(Int64(page)), "per_page": .int(Int64(perPage)),
                    "has_more_page": .bool(page * perPage < list.count), "report_name": .string(entity.reportName),
                    "applied_filter": .string(filter), "sort_column": .string(column), "sort_order": .string(ascending ? "A" : "D"),
                ],
            ]
        )
    }

    func booksWrite(_ r: SimRequest, _ orgID: String, _ entity: BooksEntity, id: String?) -> SimResponse {
        var input: JSONValue?
        if r.header("content-type")?.contains("application/json") == true {
            input = r.json
        } else if let legacy = r.form["JSONString"] ?? r.query["JSONString"] {
            input = try? JSONValue.parse(legacy)
        } else {
            input = nil
        }
        guard let object = input?.objectValue else { return BooksError.response(400, 1038, "JSON is not well formed") }
        let key = booksKey(r.dc, orgID)
        var org = books[key]!
        var record: BooksRecord
        if let id {
            guard let found = org[records: entity][id] else { return entity.missing.response }
            record = found
        } else {
            record = BooksRecord(id: "4600000" + String(format: "%08lld", 26_000 + org.nextID), fields: [:], created: now(), modified: now())
        }
        if let refusal = entity.refusal(object, creating: id == nil) { return refusal.response }
        if let name = object[entity.nameField]?.stringValue,
            org[records: entity].values.contains(where: { $0.id != record.id && $0.fields[entity.nameField]?.stringValue == name })
        {
            return entity.duplicate(name).response
        }
        if object["custom_fields"] != nil || id == nil {
            switch booksCustomValues(object["custom_fields"], current: record.fields["custom_fields"], org: org, entity: entity, creating: id == nil)
            {
            case .failure(let refusal): return refusal.response
            case .success(let values): record.fields["custom_fields"] = values
            }
        }
        if id == nil { org.nextID += 1 }
        for (k, v) in object where entity.writable.contains(k) { record.fields[k] = v.isNull ? nil : v }
        record.modified = max(now(), record.modified + 1)
        org[records: entity][record.id] = record
        books[key] = org
        booksWebhook(r.dc, orgID, entity, event: id == nil ? "create" : "update", record: presentBooks(record, entity))
        return .json(
            id == nil ? 201 : 200,
            [
                "code": 0, "message": .string(id == nil ? entity.added : entity.saved),
                entity.rawValue: presentBooks(record, entity),
            ]
        )
    }

    /// Mark as active or inactive: the record's status, a change like any other for webhooks.
    func booksMark(_ dc: String, _ orgID: String, _ entity: BooksEntity, id: String, status: String) -> SimResponse {
        let key = booksKey(dc, orgID)
        guard var record = books[key]![records: entity][id] else { return entity.missing.response }
        record.fields["status"] = .string(status)
        record.modified = max(now(), record.modified + 1)
        books[key]![records: entity][id] = record
        booksWebhook(dc, orgID, entity, event: "update", record: presentBooks(record, entity))
        return .json(200, ["code": 0, "message": .string("The \(entity.rawValue) has been marked as \(status).")])
    }

    /// Workflow webhooks of the entity's module: the default payload `{"<entity>":{…}}`, custom headers
    /// and query, signed when a secret is set.
    func booksWebhook(_ dc: String, _ orgID: String, _ entity: BooksEntity, event: String, record: JSONValue) {
        guard let org = books[booksKey(dc, orgID)] else { return }
        for hook in org.webhooks where (hook.entity ?? .contact) == entity && (hook.events.contains(event) || hook.events.contains("all")) {
            let body = JSONValue.object([entity.rawValue: record]).serialized()
            var headers = hook.headers
            headers["Content-Type"] = "application/json"
            if let secret = hook.secret { headers["X-Zoho-Webhook-Signature"] = Self.booksSignature(secret: secret, query: hook.query, body: body) }
            var url = URLComponents(string: hook.url)!
            if !hook.query.isEmpty {
                url.queryItems = (url.queryItems ?? []) + hook.query.keys.sorted().map { URLQueryItem(name: $0, value: hook.query[$0]) }
            }
            enqueueDelivery(Delivery(kind: "books_webhook", url: url.string!, body: body, headers: headers, status: nil, attempts: 0, error: nil))
        }
        flushDeliveries()
    }
}
