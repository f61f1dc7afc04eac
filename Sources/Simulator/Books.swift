import Core
import Foundation

struct BooksOrg: Codable, Sendable {
    var dc: String
    var organizationID: String
    var name: String
    var contacts: [String: BooksContact] = [:]
    var nextID: Int64 = 1
    /// Request times in the last window, for the 100 requests/minute limit.
    var recent: [Micros] = []
    /// Request times in the last day, for the daily quota (optional: state files from before it lack it).
    var today: [Micros]? = []
    var webhooks: [BooksWebhook] = []
    /// Custom fields an administrator added (optional: state files from before them lack it).
    var customFields: [BooksCustomField]? = []
}

struct BooksContact: Codable, Sendable {
    var id: String
    var fields: [String: JSONValue]
    var created: Micros
    var modified: Micros
}

struct BooksWebhook: Codable, Sendable {
    var url: String
    var events: [String]
    var headers: [String: String]
    var query: [String: String]
    var secret: String?
}

/// Zoho Books v3: organizations and contacts, its `{"code":0,…}` envelope, its errors and its limit.
extension SimState {
    static let booksContactFields: Set<String> = [
        "contact_name", "company_name", "contact_type", "customer_sub_type", "email", "phone", "mobile", "website",
        "billing_address", "shipping_address", "notes", "status", "first_name", "last_name",
    ]

    static let booksListedFields = ["company_name", "email", "phone", "mobile", "website", "first_name", "last_name"]

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
        guard route.first == "contacts" || route == ["settings", "fields"] else { return BooksError.response(404, 5, "Invalid URL Passed") }
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
        let contactsScope = { (op: String) in
            scopes.contains { $0 == "ZOHOBOOKS.FULLACCESS.ALL" || $0 == "ZOHOBOOKS.CONTACTS.ALL" || $0 == "ZOHOBOOKS.CONTACTS.\(op)" }
        }
        if route == ["settings", "fields"] {
            // The Custom Fields API asks for ZohoBooks.settings scopes.
            let settingsScope = scopes.contains {
                $0 == "ZOHOBOOKS.FULLACCESS.ALL" || $0 == "ZOHOBOOKS.SETTINGS.ALL" || $0 == "ZOHOBOOKS.SETTINGS.READ"
            }
            guard settingsScope else { return BooksError.unauthorized }
            guard r.method == "GET" else { return BooksError.response(405, 37, "The HTTP method is not allowed for the requested resource") }
            return booksSettingsFields(r, orgID)
        }
        let rest = Array(route.dropFirst())
        let id = rest.count == 1 ? rest[0] : nil
        switch r.method {
        case "GET" where rest.isEmpty:
            guard contactsScope("READ") else { return BooksError.unauthorized }
            return booksList(r, orgID)
        case "GET" where id != nil:
            guard contactsScope("READ") else { return BooksError.unauthorized }
            guard let c = books[booksKey(r.dc, orgID)]!.contacts[id!] else { return BooksError.response(404, 1002, "Contact does not exist.") }
            return .json(200, ["code": 0, "message": "success", "contact": presentContact(c)])
        case "POST" where rest.isEmpty:
            guard contactsScope("CREATE") else { return BooksError.unauthorized }
            return booksWrite(r, orgID, id: nil)
        case "PUT" where id != nil:
            guard contactsScope("UPDATE") else { return BooksError.unauthorized }
            return booksWrite(r, orgID, id: id)
        case "DELETE" where id != nil:
            guard contactsScope("DELETE") else { return BooksError.unauthorized }
            guard let removed = books[booksKey(r.dc, orgID)]!.contacts.removeValue(forKey: id!) else {
                return BooksError.response(404, 1002, "Contact does not exist.")
            }
            booksWebhook(r.dc, orgID, event: "delete", contact: presentContact(removed))
            return .json(200, ["code": 0, "message": "The contact has been deleted."])
        default:
            return BooksError.response(405, 37, "The HTTP method is not allowed for the requested resource")
        }
    }

    func presentContact(_ c: BooksContact) -> JSONValue {
        var o = c.fields
        o["contact_id"] = .string(c.id)
        o["created_time"] = .string(booksTime(c.created))
        o["last_modified_time"] = .string(booksTime(c.modified))
        // Books answers every column of its contacts, an unset one as "" [?]: a list page carries whole records.
        for field in Self.booksListedFields where o[field] == nil { o[field] = "" }
        if o["contact_type"] == nil { o["contact_type"] = "customer" }
        if o["status"] == nil { o["status"] = "active" }
        return .object(o)
    }

    func booksList(_ r: SimRequest, _ orgID: String) -> SimResponse {
        let page = max(1, Int(r.query["page"] ?? "1") ?? 1)
        let perPage = min(200, max(1, Int(r.query["per_page"] ?? "200") ?? 200))
        var list = Array(books[booksKey(r.dc, orgID)]!.contacts.values)
        if let email = r.query["email"]?.lowercased() { list = list.filter { $0.fields["email"]?.stringValue?.lowercased() == email } }
        if let name = r.query["contact_name"] { list = list.filter { $0.fields["contact_name"]?.stringValue == name } }
        if let text = r.query["search_text"]?.lowercased() {
            list = list.filter { $0.fields.values.contains { $0.stringValue?.lowercased().contains(text) == true } }
        }
        if let since = r.query["last_modified_time"].flatMap(Clock.parseOdoo) { list = list.filter { $0.modified > since } }
        let column = r.query["sort_column"] ?? "contact_name"
        let ascending = (r.query["sort_order"] ?? "A") == "A"
        let time: ((BooksContact) -> Micros)? = column == "last_modified_time" ? { $0.modified } : column == "created_time" ? { $0.created } : nil
        let name = { (c: BooksContact) in c.fields["contact_name"]?.stringValue ?? "" }
        list.sort { a, b in
            if let time, time(a) != time(b) { return ascending ? time(a) < time(b) : time(a) > time(b) }
            if time == nil, name(a) != name(b) { return ascending ? name(a) < name(b) : name(a) > name(b) }
            return a.id < b.id
        }
        let slice = Array(list.dropFirst((page - 1) * perPage).prefix(perPage))
        return .json(
            200,
            [
                "code": 0, "message": "success", "contacts": .array(slice.map(presentContact)),
                "page_context": [
                    "page": .int(Int64(page)), "per_page": .int(Int64(perPage)),
                    "has_more_page": .bool(page * perPage < list.count), "report_name": "Contacts",
                    "applied_filter": "Status.All", "sort_column": .string(column), "sort_order": .string(ascending ? "A" : "D"),
                ],
            ]
        )
    }

    func booksWrite(_ r: SimRequest, _ orgID: String, id: String?) -> SimResponse {
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
        var contact: BooksContact
        if let id {
            guard let found = org.contacts[id] else { return BooksError.response(404, 1002, "Contact does not exist.") }
            contact = found
        } else {
            guard let name = object["contact_name"]?.stringValue, !name.isEmpty else {
                return BooksError.response(400, 4, "Invalid value passed for contact_name")
            }
            contact = BooksContact(id: "4600000" + String(format: "%08lld", 26_000 + org.nextID), fields: [:], created: now(), modified: now())
            org.nextID += 1
        }
        // Books keeps the person/company distinction in customer_sub_type, not in contact_type (facts: Books contacts).
        for (field, allowed) in [("contact_type", ["customer", "vendor"]), ("customer_sub_type", ["business", "individual"])] {
            if let value = object[field], !value.isNull, !allowed.contains(value.stringValue ?? "") {
                return BooksError.response(400, 4, "Invalid value passed for \(field)")
            }
        }
        if let name = object["contact_name"]?.stringValue,
            org.contacts.values.contains(where: { $0.id != contact.id && $0.fields["contact_name"]?.stringValue == name })
        {
            return BooksError.response(400, 3062, "The contact name \"\(name)\" is already used by another contact.")
        }
        if object["custom_fields"] != nil || id == nil {
            switch booksCustomValues(object["custom_fields"], current: contact.fields["custom_fields"], org: org, creating: id == nil) {
            case .failure(let refusal): return BooksError.response(400, refusal.code, refusal.message)
            case .success(let values): contact.fields["custom_fields"] = values
            }
        }
        for (k, v) in object where Self.booksContactFields.contains(k) { contact.fields[k] = v.isNull ? nil : v }
        contact.modified = max(now(), contact.modified + 1)
        org.contacts[contact.id] = contact
        books[key] = org
        booksWebhook(r.dc, orgID, event: id == nil ? "create" : "update", contact: presentContact(contact))
        return .json(
            id == nil ? 201 : 200,
            [
                "code": 0, "message": .string(id == nil ? "The contact has been added." : "Contact information has been saved."),
                "contact": presentContact(contact),
            ]
        )
    }

    /// Workflow webhooks: the default payload `{"contact":{…}}`, custom headers and query, signed when a secret is set.
    func booksWebhook(_ dc: String, _ orgID: String, event: String, contact: JSONValue) {
        guard let org = books[booksKey(dc, orgID)] else { return }
        for hook in org.webhooks where hook.events.contains(event) || hook.events.contains("all") {
            let body = JSONValue.object(["contact": contact]).serialized()
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
