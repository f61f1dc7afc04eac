import Core
import Foundation

/// `/_sim/…`: what tests and demos use to act as a Zoho user or administrator, and to break Zoho on purpose.
extension SimState {
    func control(_ r: SimRequest) -> SimResponse {
        let route = r.path
        let body = r.json ?? [:]
        let bad = { (message: String) in SimResponse.json(400, ["error": .string(message)]) }
        let key = r.method + " " + route.joined(separator: "/")
        let r0 = route.count > 0 ? route[0] : ""
        let r1 = route.count > 1 ? route[1] : ""
        let r2 = route.count > 2 ? route[2] : ""
        let r3 = route.count > 3 ? route[3] : ""
        switch key {
        case "POST reset":
            reset()
            return .json(200, ["status": "reset"])
        case "GET config":
            return .json(200, (try? JSONValue.parse(Array(JSONEncoder().encode(config)))) ?? [:])
        case "POST config":
            guard case .object(let changes) = body, var current = (try? JSONValue.parse(Array(JSONEncoder().encode(config))))?.objectValue else {
                return bad("expected a JSON object")
            }
            for (k, v) in changes {
                guard current[k] != nil || ["retryAfterSeconds"].contains(k) else { return bad("unknown config key \(k)") }
                current[k] = v
            }
            guard let data = try? JSONEncoder().encode(JSONValue.object(current)), let decoded = try? JSONDecoder().decode(SimConfig.self, from: data)
            else {
                return bad("invalid config value")
            }
            config = decoded
            return .json(200, (try? JSONValue.parse(Array(JSONEncoder().encode(config)))) ?? [:])
        case "POST clients":
            let redirects = body["redirect_uris"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard !redirects.isEmpty else { return bad("redirect_uris is required") }
            let dcs = body["dcs"]?.arrayValue?.compactMap(\.stringValue) ?? dataCenters
            let client = Client(
                id: body["client_id"]?.stringValue ?? "1000." + rng.alnum(30),
                secret: body["client_secret"]?.stringValue ?? rng.hex(42),
                redirectURIs: redirects,
                dcs: dcs,
                name: body["name"]?.stringValue ?? "Sidecar"
            )
            clients[client.id] = client
            return .json(201, ["client_id": .string(client.id), "client_secret": .string(client.secret), "dcs": .array(dcs.map { .string($0) })])
        case "POST faults":
            guard let target = body["target"]?.stringValue, ["crm", "books", "accounts", "all"].contains(target),
                let kind = body["kind"]?.stringValue.flatMap(Fault.Kind.init(rawValue:))
            else {
                return bad(
                    "expected {target: crm|books|accounts|all, kind: 500|502|timeout|drop|429|invalid_token|lost_reply, count or percent, method (optional)}"
                )
            }
            let count = body["count"]?.intValue.map(Int.init)
            let percent = body["percent"]?.doubleValue
            guard (count != nil) != (percent != nil) else { return bad("give exactly one of count or percent") }
            let method = body["method"]?.stringValue?.uppercased()
            faults.append(Fault(target: target, kind: kind, remaining: count, percent: percent, method: method))
            return .json(201, ["faults": .int(Int64(faults.count))])
        case "DELETE faults":
            faults = []
            return .json(200, ["faults": 0])
        case "POST clock":
            if let advance = body["advance_seconds"]?.doubleValue { clockOffsetMicros += Int64(advance * 1e6) }
            if let skew = body["skew_seconds"]?.doubleValue { clockOffsetMicros = Int64(skew * 1e6) }
            return .json(200, ["now": .string(zohoTime(now())), "offset_seconds": .double(Double(clockOffsetMicros) / 1e6)])
        case "POST revoke":
            var n = 0
            for (token, record) in refreshTokens
            where !record.revoked
                && (body["refresh_token"]?.stringValue == token || body["client_id"]?.stringValue == record.clientID)
            {
                revokeRefreshToken(token)
                n += 1
            }
            return .json(200, ["revoked": .int(Int64(n))])
        case "POST expire_tokens":
            let now = now()
            for (k, at) in accessTokens where at.expiresAt > now { accessTokens[k]?.expiresAt = now }
            return .json(200, ["status": "expired"])
        case "GET requests":
            let prefix = r.query["path_prefix"] ?? ""
            let since = r.query["since"].flatMap { Int64($0) } ?? 0
            let list = requestLog.filter { $0.path.hasPrefix(prefix) && $0.time >= since }
            return .json(200, Self.snakeJSON(list))
        case "GET stats":
            return .json(200, .object(writeCounts.mapValues { .int(Int64($0)) }))
        case "GET deliveries":
            return .json(200, Self.snakeJSON(deliveries))
        case "GET deliveries/pending":
            return .json(200, ["pending": .int(Int64(notifier.pending))])
        case _ where r.method == "GET" && r0 == "crm" && r2 == "edition" && route.count == 3:
            guard let org = orgs[r1] else { return bad("unknown data centre \(r1)") }
            // What a benchmark reads after a run: the credits spent in the rolling 24 h against the allowance.
            var answer = org.editionJSON
            answer["credits_used"] = .int(Int64(org.creditsUsed(now: now())))
            return .json(200, .object(answer))
        case _ where r0 == "crm" && r2 == "edition" && route.count == 3:
            let dc = r1
            guard orgs[dc] != nil, let edition = body["edition"]?.stringValue.flatMap(Edition.init(rawValue:)) else {
                return bad("expected {edition, users}")
            }
            orgs[dc]!.edition = edition
            if let users = body["users"]?.intValue { orgs[dc]!.users = Int(users) }
            // Credits already spent today (so a test or demo can reach the daily limit without 5,000 calls).
            if let spent = body["spent"]?.intValue { orgs[dc]!.credits[now() / 60_000_000, default: 0] += Int(spent) }
            return .json(200, .object(orgs[dc]!.editionJSON))
        case _ where r.method == "POST" && r0 == "crm" && r2 == "workflow_webhooks" && route.count == 3:
            let dc = r1
            guard orgs[dc] != nil, let module = body["module"]?.stringValue, let url = body["url"]?.stringValue else {
                return bad("expected {module, url, events, headers, form}")
            }
            orgs[dc]!.workflowWebhooks.append(
                WorkflowWebhook(
                    module: module,
                    url: url,
                    events: body["events"]?.arrayValue?.compactMap(\.stringValue) ?? ["all"],
                    headers: body["headers"]?.objectValue?.compactMapValues(\.stringValue) ?? [:],
                    form: body["form"]?.boolValue ?? false
                )
            )
            return .json(201, ["status": "created"])
        case _ where r.method == "POST" && r0 == "crm" && r2 == "settings" && r3 == "fields" && route.count == 4:
            guard orgs[r1] != nil else { return bad("unknown data centre \(r1)") }
            return addCRMCustomFields(dc: r1, module: r.query["module"], body: body)
        case _ where r0 == "crm" && CRMCatalogue.names.contains(r2) && orgs[r1] != nil && route.count <= 4:
            let (dc, module) = (r1, r2)
            return controlCRM(r, dc: dc, module: module, id: route.count > 3 ? route[3] : nil, body: body)
        case _ where r.method == "POST" && r0 == "books" && r2 == "organizations" && route.count == 3:
            let dc = r1
            guard dataCenters.contains(dc) else { return bad("unknown data centre \(dc)") }
            let id = body["organization_id"]?.stringValue ?? String(10_234_695 + books.count)
            books[booksKey(dc, id)] = BooksOrg(dc: dc, organizationID: id, name: body["name"]?.stringValue ?? "Sim Books " + dc.uppercased())
            return .json(201, ["organization_id": .string(id)])
        case _ where r.method == "POST" && r0 == "books" && r3 == "webhooks" && route.count == 4:
            let (dc, org) = (r1, r2)
            guard books[booksKey(dc, org)] != nil, let url = body["url"]?.stringValue,
                let entity = BooksEntity(rawValue: body["entity"]?.stringValue ?? "contact")
            else {
                return bad("expected {url, entity: contact|item, events, headers, query, secret}")
            }
            books[booksKey(dc, org)]!.webhooks.append(
                BooksWebhook(
                    url: url,
                    events: body["events"]?.arrayValue?.compactMap(\.stringValue) ?? ["all"],
                    headers: body["headers"]?.objectValue?.compactMapValues(\.stringValue) ?? [:],
                    query: body["query"]?.objectValue?.compactMapValues(\.stringValue) ?? [:],
                    secret: body["secret"]?.stringValue,
                    entity: entity
                )
            )
            return .json(201, ["status": "created"])
        case _ where r.method == "POST" && r0 == "books" && r3 == "fields" && route.count == 4:
            guard books[booksKey(r1, r2)] != nil else { return bad("no Books organization \(r2) in data centre \(r1)") }
            return addBooksCustomField(dc: r1, org: r2, body: body)
        case _ where r0 == "books" && books[booksKey(r1, r2)] != nil && (4...6).contains(route.count):
            guard let entity = BooksEntity(plural: r3) else { return bad("Books records are contacts or items, not \(r3)") }
            let (dc, org) = (r1, r2)
            let (id, action) = (route.count > 4 ? route[4] : nil, route.count > 5 ? route[5] : nil)
            return controlBooks(r, dc: dc, org: org, entity: entity, id: id, action: action, body: body)
        default:
            return .json(404, ["error": .string("unknown control endpoint \(r.method) /_sim/\(route.joined(separator: "/"))")])
        }
    }

    static func snakeJSON(_ value: some Encodable) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return (try? encoder.encode(value)).flatMap { try? JSONValue.parse(Array($0)) } ?? .null
    }

    /// Acting as a user in Zoho's UI: the same validation as the API, and the same notifications.
    func controlCRM(_ r: SimRequest, dc: String, module: String, id: String?, body: JSONValue) -> SimResponse {
        switch (r.method, id) {
        case ("GET", nil):
            let all = orgs[dc]!.records[module]!.values.sorted { $0.id < $1.id }.map { present($0, fields: nil) }
            return .json(200, .array(all))
        case ("GET", let id?):
            guard let rec = orgs[dc]!.records[module]![id] else { return .json(404, ["error": "no such record"]) }
            return .json(200, present(rec, fields: nil))
        case ("POST", nil), ("PUT", _):
            guard case .object(var fields) = body else { return .json(400, ["error": "expected a JSON object of fields"]) }
            if let id { fields["id"] = .string(id) }
            switch applyOne(dc, module, fields, index: 0, mode: id == nil ? .create : .update, duplicateFields: []) {
            case .failure(let e): return .json(400, e.body)
            case .success(let ok):
                notify(dc: dc, module: module, changes: [(ok.id, ok.inserted ? "insert" : "update", ok.changed)])
                return .json(ok.inserted ? 201 : 200, ["id": .string(ok.id)])
            }
        case ("DELETE", let id?):
            var request = r
            request.dc = dc
            return delete(request, module, ids: [id])
        default:
            return .json(405, ["error": "method not allowed"])
        }
    }

    func controlBooks(
        _ r: SimRequest,
        dc: String,
        org: String,
        entity: BooksEntity,
        id: String?,
        action: String?,
        body: JSONValue
    ) -> SimResponse {
        let key = booksKey(dc, org)
        if let action {
            guard r.method == "POST", let id, ["active", "inactive"].contains(action) else {
                return .json(405, ["error": "method not allowed"])
            }
            return booksMark(dc, org, entity, id: id, status: action)
        }
        switch (r.method, id) {
        case ("GET", nil):
            let all = books[key]![records: entity].values.sorted { $0.id < $1.id }
            return .json(200, .array(all.map { presentBooks($0, entity) }))
        case ("POST", nil), ("PUT", _):
            var request = r
            request.dc = dc
            request.query["organization_id"] = org
            request.headers["content-type"] = "application/json"
            let response = booksWrite(request, org, entity, id: id)
            books[key]!.recent = []
            return response
        case ("DELETE", let id?):
            guard let removed = books[key]![records: entity].removeValue(forKey: id) else {
                return .json(404, ["error": .string("no such \(entity.rawValue)")])
            }
            booksWebhook(dc, org, entity, event: "delete", record: presentBooks(removed, entity))
            return .json(200, ["status": "deleted"])
        default:
            return .json(405, ["error": "method not allowed"])
        }
    }

    func reset() {
        clients = [:]
        grants = [:]
        grantTimes = [:]
        refreshTokens = [:]
        accessTokens = [:]
        faults = []
        requestLog = []
        deliveries = []
        writeCounts = [:]
        pendingDeliveries = []
        clockOffsetMicros = 0
        (orgs, books) = Self.freshOrganisations()
        duplicates.removeAll()
        rng = SeededRandom(seed: seed)
    }

    /// One CRM org per data centre, and one Books organization per data centre (ids 10234695…).
    static func freshOrganisations() -> ([String: CRMOrg], [String: BooksOrg]) {
        var orgs: [String: CRMOrg] = [:]
        var books: [String: BooksOrg] = [:]
        for (i, dc) in SimDataCenter.all.enumerated() {
            orgs[dc] = CRMOrg(dc: dc)
            let id = String(10_234_695 + i)
            books[dc + "/" + id] = BooksOrg(dc: dc, organizationID: id, name: "Sim Books \(dc.uppercased())")
        }
        return (orgs, books)
    }
}

extension SimState {
    /// Registers an OAuth client in every data centre (the CLI's `--client`).
    public func registerClient(id: String, secret: String, redirectURI: String) {
        clients[id] = Client(id: id, secret: secret, redirectURIs: [redirectURI], dcs: dataCenters, name: "Sidecar")
    }
}
