import Core
import Foundation

/// Zoho CRM's REST API (v2–v8 paths): records, search, count, deleted, field metadata, org, users,
/// and the notification (watch) API — with limits, credits and Zoho's error shapes.
extension SimState {
    static let crmVersions: Set<String> = ["v2", "v2.1", "v3", "v4", "v5", "v6", "v7", "v8"]

    /// Everything under /<dc>/api/crm/<version>/…; limits and auth are checked by `crmGuard` first.
    func crm(_ r: SimRequest, _ at: AccessToken) -> SimResponse {
        let route = Array(r.path.dropFirst(3))  // after api, crm, version
        let version = r.path[2]
        guard let first = route.first else { return CRMError.notFound }
        switch first {
        case "org":
            guard r.method == "GET" else { return CRMError.methodNotAllowed }
            return .json(
                200,
                [
                    "org": [
                        [
                            "id": .string(orgs[r.dc]!.orgID), "company_name": .string("Simulated Zoho (\(r.dc.uppercased()))"),
                            "domain_name": .string("sim-\(r.dc)"), "time_zone": "Asia/Kolkata", "currency": "USD",
                            "edition": .string(orgs[r.dc]!.edition.rawValue),
                        ]
                    ]
                ]
            )
        case "users":
            let users = r.query["type"] == "CurrentUser" ? Array(CRMCatalogue.users.prefix(1)) : CRMCatalogue.users
            return .json(
                200,
                ["users": .array(users), "info": ["per_page": 200, "count": .int(Int64(users.count)), "page": 1, "more_records": false]]
            )
        case "settings":
            return settings(r, Array(route.dropFirst()))
        case "actions":
            guard route.count == 2, route[1] == "watch" else { return CRMError.notFound }
            return watch(r)
        default:
            break
        }
        let module = first
        guard CRMCatalogue.names.contains(module) else {
            return CRMError.response(400, "INVALID_MODULE", "the module name given seems to be invalid", ["resource_path_index": 0])
        }
        let rest = Array(route.dropFirst())
        let one = rest.count == 1 ? rest[0] : nil
        switch r.method {
        case "GET":
            if rest.isEmpty { return list(r, module, version: version) }
            if rest == ["search"] { return search(r, module) }
            if rest == ["deleted"] { return deletedRecords(r, module) }
            if rest == ["actions", "count"] { return .json(200, ["count": .int(Int64(orgs[r.dc]!.records[module]!.count))]) }
            if let id = one { return getOne(r, module, id) }
            if rest.count == 2, rest[1] == "__timeline" { return timeline(r, module, rest[0]) }
        case "POST":
            if rest.isEmpty { return write(r, module, mode: .create) }
            if rest == ["upsert"] { return write(r, module, mode: .upsert) }
        case "PUT":
            if rest.isEmpty { return write(r, module, mode: .update) }
            if let id = one { return write(r, module, mode: .update, pathID: id) }
        case "DELETE":
            if rest.isEmpty { return delete(r, module, ids: (r.query["ids"] ?? "").split(separator: ",").map(String.init)) }
            if let id = one { return delete(r, module, ids: [id]) }
        default:
            break
        }
        return rest.count <= 1 ? CRMError.methodNotAllowed : CRMError.notFound
    }

    // MARK: limits

    /// Credits (rolling 24 h) and concurrency (per org, plus the sub-limit of 10 for heavy calls).
    func crmAdmit(_ r: SimRequest, heavy: Bool) -> SimResponse? {
        var org = orgs[r.dc]!
        let now = now()
        if org.creditsUsed(now: now) >= org.edition.dailyCredits(users: org.users) || org.inFlight >= org.edition.concurrency
            || (heavy && org.inFlightHeavy >= 10)
        {
            return CRMError.tooManyRequests(retryAfter: config.retryAfterSeconds)
        }
        org.spend(now: now)
        org.inFlight += 1
        if heavy { org.inFlightHeavy += 1 }
        orgs[r.dc] = org
        return nil
    }

    func crmRelease(_ r: SimRequest, heavy: Bool) {
        orgs[r.dc]!.inFlight -= 1
        if heavy { orgs[r.dc]!.inFlightHeavy -= 1 }
    }

    /// Inserts/updates/upserts of more than 10 records and searches count against the sub-concurrency.
    func isHeavy(_ r: SimRequest) -> Bool {
        if r.path.last == "search" { return true }
        if ["POST", "PUT"].contains(r.method), let data = r.json?["data"]?.arrayValue { return data.count > 10 }
        return false
    }

    func hasScope(_ at: AccessToken, _ r: SimRequest) -> Bool {
        let route = Array(r.path.dropFirst(3))
        let upper = at.scopes.map { $0.uppercased() }
        if upper.contains("ZOHOCRM.ALL") { return true }
        switch route.first {
        case "settings":
            // Each metadata API names its own scope (crm-oas v8.0: settings.fields.READ, settings.modules.READ).
            let kind = route.count > 1 ? route[1].uppercased() : ""
            return upper.contains { $0 == "ZOHOCRM.SETTINGS.ALL" || $0 == "ZOHOCRM.SETTINGS.\(kind).ALL" || $0 == "ZOHOCRM.SETTINGS.\(kind).READ" }
        case "org": return upper.contains { $0.hasPrefix("ZOHOCRM.ORG.") || $0.hasPrefix("ZOHOCRM.SETTINGS.") || $0 == "ZOHOCRM.MODULES.ALL" }
        case "users": return upper.contains { $0.hasPrefix("ZOHOCRM.USERS.") || $0 == "ZOHOCRM.MODULES.ALL" }
        case "actions": return upper.contains { $0.hasPrefix("ZOHOCRM.NOTIFICATIONS.") }
        case let module?:
            let op =
                switch r.method {
                case "GET": "READ"
                case "POST": "CREATE"
                case "PUT": "UPDATE"
                case "DELETE": "DELETE"
                default: "ALL"
                }
            let m = module.uppercased()
            return upper.contains {
                $0 == "ZOHOCRM.MODULES.ALL" || $0 == "ZOHOCRM.MODULES.\(m).ALL" || $0 == "ZOHOCRM.MODULES.\(m).\(op)"
                    || (r.method == "POST" && r.path.last == "upsert" && ($0 == "ZOHOCRM.MODULES.\(m).CREATE" || $0 == "ZOHOCRM.MODULES.\(m).UPDATE"))
            }
        case nil: return false
        }
    }

    // MARK: read

    func zohoTime(_ micros: Micros) -> String {
        let offset = config.timeZoneOffset
        let sign: Int64 = offset.hasPrefix("-") ? -1 : 1
        let parts = offset.dropFirst().split(separator: ":").compactMap { Int64($0) }
        let shift = sign * ((parts.first ?? 0) * 3600 + (parts.dropFirst().first ?? 0) * 60)
        return Clock.odooString(micros + shift * 1_000_000).replacingOccurrences(of: " ", with: "T") + offset
    }

    func present(_ record: CRMRecord, fields: [String]?) -> JSONValue {
        var out = record.fields
        out["id"] = .string(record.id)
        out["Created_Time"] = .string(zohoTime(record.created))
        out["Modified_Time"] = .string(zohoTime(record.modified))
        // A record nobody gave an owner is the API user's.
        out["Owner"] = record.fields["Owner"] ?? ["name": "Sim Admin", "id": .string(CRMCatalogue.userID), "email": "admin@sim.zoho.local"]
        out["Created_By"] = ["name": "Sim Admin", "id": "5725767000000100001"]
        out["Modified_By"] = ["name": "Sim Admin", "id": "5725767000000100001"]
        if let fields { out = out.filter { $0.key == "id" || fields.contains($0.key) } }
        return .object(out)
    }

    func ifModifiedSince(_ r: SimRequest) -> Micros? {
        guard let text = r.header("if-modified-since") else { return nil }
        return Clock.parseOdoo(text)
    }

    func list(_ r: SimRequest, _ module: String, version: String) -> SimResponse {
        let q = r.query
        let ids = q["ids"].map { $0.split(separator: ",").map(String.init) }
        let fields = q["fields"].map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if fields == nil, ids == nil, version != "v2", version != "v2.1" {
            return CRMError.response(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", ["param": "fields"])
        }
        if let fields, fields.count > 50 {
            return CRMError.response(400, "LIMIT_EXCEEDED", "the given fields exceed the limit", ["limit": 50, "param": "fields"])
        }
        let table = orgs[r.dc]!.records[module]!
        var records = ids.map { ids in Set(ids).compactMap { table[$0] } } ?? Array(table.values)
        let since = ifModifiedSince(r)
        if let since { records = records.filter { $0.modified > since } }
        let sortBy = q["sort_by"] ?? "id"
        let ascending = q["sort_order"] == "asc"
        // Ids have a fixed width, so they order as text; ties fall back to the id.
        let time: ((CRMRecord) -> Micros)? = sortBy == "Modified_Time" ? { $0.modified } : sortBy == "Created_Time" ? { $0.created } : nil
        records.sort { a, b in
            if let time, time(a) != time(b) { return ascending ? time(a) < time(b) : time(a) > time(b) }
            return ascending ? a.id < b.id : a.id > b.id
        }
        return paged(r, records, sortBy: sortBy, ascending: ascending, notModified: since != nil) { present($0, fields: fields) }
    }

    /// `page` reaches the first 2,000 records; `page_token` goes on to 100,000. Only the page's rows are presented.
    func paged<Row>(
        _ r: SimRequest,
        _ all: [Row],
        sortBy: String,
        ascending: Bool,
        notModified: Bool = false,
        present: (Row) -> JSONValue
    ) -> SimResponse {
        let q = r.query
        let perPage = Int(q["per_page"] ?? "200") ?? 200
        guard (1...200).contains(perPage) else {
            return CRMError.response(400, "INVALID_DATA", "invalid data", ["param": "per_page", "maximum_length": 200])
        }
        if q["page"] != nil, q["page_token"] != nil {
            return CRMError.response(400, "INVALID_REQUEST", "page and page_token cannot be given together", ["param": "page_token"])
        }
        var offset: Int
        if let tokenText = q["page_token"] {
            guard let t = decodePageToken(tokenText) else {
                return CRMError.response(400, "INVALID_DATA", "invalid data", ["param": "page_token"])
            }
            guard t.expiry > now() else { return CRMError.response(400, "TOKEN_EXPIRED", "the page token has expired", ["param": "page_token"]) }
            offset = t.offset
        } else {
            let page = Int(q["page"] ?? "1") ?? 1
            guard page >= 1 else { return CRMError.response(400, "INVALID_DATA", "invalid data", ["param": "page"]) }
            offset = (page - 1) * perPage
            if offset + perPage > 2000 {
                return CRMError.response(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "cannot fetch more than 2000 records with page; use page_token",
                    ["limit": 2000]
                )
            }
        }
        guard offset < 100_000 else {
            return CRMError.response(400, "LIMIT_REACHED", "cannot fetch more than 100000 records", ["limit": 100_000])
        }
        let slice = all.dropFirst(offset).prefix(perPage).map(present)
        if slice.isEmpty { return notModified ? .empty(304) : .empty(204) }
        let more = offset + slice.count < all.count
        let expiry = now() + 86_400_000_000
        var info: [String: JSONValue] = [
            "per_page": .int(Int64(perPage)), "count": .int(Int64(slice.count)), "page": .int(Int64(offset / perPage + 1)),
            "sort_by": .string(sortBy), "sort_order": .string(ascending ? "asc" : "desc"), "more_records": .bool(more),
            "call": false, "email": false, "previous_page_token": .null, "next_page_token": .null, "page_token_expiry": .null,
        ]
        if more {
            info["next_page_token"] = .string(encodePageToken(offset: offset + slice.count, expiry: expiry))
            info["page_token_expiry"] = .string(zohoTime(expiry))
        }
        return .json(200, ["data": .array(slice), "info": .object(info)])
    }

    func encodePageToken(offset: Int, expiry: Micros) -> String {
        let raw: JSONValue = ["o": .int(Int64(offset)), "e": .int(expiry)]
        return "pt" + Data(raw.serializedBytes()).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    func decodePageToken(_ text: String) -> (offset: Int, expiry: Micros)? {
        guard text.hasPrefix("pt") else { return nil }
        var b64 = String(text.dropFirst(2))
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let v = try? JSONValue.parse(Array(data)),
            let o = v["o"]?.intValue, let e = v["e"]?.intValue
        else { return nil }
        return (Int(o), e)
    }

    func getOne(_ r: SimRequest, _ module: String, _ id: String) -> SimResponse {
        guard let record = orgs[r.dc]!.records[module]![id] else { return .empty(204) }
        return .json(200, ["data": [present(record, fields: r.query["fields"].map { $0.split(separator: ",").map(String.init) })]])
    }

    /// `criteria=((Email:equals:a)or(Last_Name:starts_with:B))`, or `email=`, `phone=`, `word=`.
    func search(_ r: SimRequest, _ module: String) -> SimResponse {
        let all = Array(orgs[r.dc]!.records[module]!.values)
        var matches: [CRMRecord]
        if let criteria = r.query["criteria"] {
            guard let predicate = Criteria.parse(criteria) else {
                return CRMError.response(400, "INVALID_QUERY", "invalid query formed", ["reason": "the criteria is not valid"])
            }
            matches = all.filter { predicate.matches(present($0, fields: nil)) }
        } else if let email = r.query["email"] {
            matches = all.filter { $0.fields["Email"]?.stringValue?.lowercased() == email.lowercased() }
        } else if let phone = r.query["phone"] {
            matches = all.filter { $0.fields["Phone"]?.stringValue == phone || $0.fields["Mobile"]?.stringValue == phone }
        } else if let word = r.query["word"]?.lowercased() {
            matches = all.filter { $0.fields.values.contains { $0.stringValue?.lowercased().contains(word) == true } }
        } else {
            return CRMError.response(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", ["param": "criteria"])
        }
        matches.sort { $0.id > $1.id }
        let fields = r.query["fields"].map { $0.split(separator: ",").map(String.init) }
        return paged(r, matches, sortBy: "id", ascending: false) { present($0, fields: fields) }
    }

    func deletedRecords(_ r: SimRequest, _ module: String) -> SimResponse {
        let kind = r.query["type"] ?? "all"
        guard ["all", "recycle", "permanent"].contains(kind) else {
            return CRMError.response(400, "INVALID_DATA", "invalid data", ["param": "type"])
        }
        var list = orgs[r.dc]!.deleted[module]!
        let since = ifModifiedSince(r)
        if let since { list = list.filter { $0.deleted > since } }
        if kind == "permanent" { list = [] }
        let rows: [JSONValue] = list.sorted { $0.deleted > $1.deleted }.map {
            [
                "id": .string($0.id), "display_name": .string($0.displayName), "type": "recycle",
                "deleted_time": .string(zohoTime($0.deleted)), "deleted_by": ["name": "Sim Admin", "id": "5725767000000100001"],
            ]
        }
        return paged(r, rows, sortBy: "deleted_time", ascending: false, notModified: since != nil) { $0 }
    }

    // MARK: write

    enum WriteMode { case create, update, upsert }

    func write(_ r: SimRequest, _ module: String, mode: WriteMode, pathID: String? = nil) -> SimResponse {
        guard let body = r.json, case .array(var data)? = body["data"] else {
            if r.json == nil && !r.body.isEmpty {
                return CRMError.response(400, "INVALID_DATA", "body is not well formed", [:])
            }
            return CRMError.response(400, "MANDATORY_NOT_FOUND", "required field not found", ["api_name": "data", "json_path": "$.data"])
        }
        if let pathID, data.count == 1, case .object(var o) = data[0] {
            o["id"] = .string(pathID)
            data[0] = .object(o)
        }
        guard data.count <= 100 else {
            return CRMError.response(400, "LIMIT_EXCEEDED", "the given data exceeds the limit", ["limit": 100, "api_name": "data"])
        }
        guard !data.isEmpty else {
            return CRMError.response(400, "MANDATORY_NOT_FOUND", "required field not found", ["api_name": "data", "json_path": "$.data"])
        }
        let duplicateFields =
            body["duplicate_check_fields"]?.arrayValue?.compactMap(\.stringValue) ?? CRMCatalogue.module(module)?.duplicateCheck ?? []
        var results: [JSONValue] = []
        var changes: [(id: String, operation: String, fields: [String: JSONValue])] = []
        for (index, item) in data.enumerated() {
            guard case .object(let input) = item else {
                results.append(CRMError.body("INVALID_DATA", "invalid data", ["json_path": .string("$.data[\(index)]")]))
                continue
            }
            switch applyOne(r.dc, module, input, index: index, mode: mode, duplicateFields: duplicateFields) {
            case .failure(let error): results.append(error.body)
            case .success(let ok):
                results.append(ok.result)
                changes.append((ok.id, ok.inserted ? "insert" : "update", ok.changed))
                writeCounts[ok.inserted ? "inserts" : ok.changed.isEmpty ? "noop_updates" : "updates", default: 0] += 1
            }
        }
        notify(dc: r.dc, module: module, changes: changes)
        let failures = results.filter { $0["status"] == "error" }.count
        let status = failures == 0 ? (mode == .update ? 200 : 201) : (failures == results.count ? 400 : config.partialFailureStatus)
        return .json(status, ["data": .array(results)])
    }

    struct WriteOK {
        let id: String
        let inserted: Bool
        let changed: [String: JSONValue]
        let result: JSONValue
    }
    struct WriteFailure: Error { let body: JSONValue }

    /// A record's values as Zoho takes them, and the record they update, if any.
    struct Checked {
        let existing: CRMRecord?
        let duplicateField: String?
        let values: [String: JSONValue]
    }

    /// Zoho's checks of one record to write: nothing is written here.
    func checked(
        _ dc: String,
        _ module: String,
        _ input: [String: JSONValue],
        index: Int,
        mode: WriteMode,
        duplicateFields: [String]
    ) -> Result<Checked, WriteFailure> {
        let path = { (field: String) in JSONValue.string("$.data[\(index)].\(field)") }
        let fail = { (code: String, message: String, details: JSONValue) in
            Result<Checked, WriteFailure>.failure(WriteFailure(body: CRMError.body(code, message, details)))
        }
        let org = orgs[dc]!
        var existing: CRMRecord?
        var duplicateField: String?
        switch mode {
        case .update:
            guard let id = input["id"]?.stringValue ?? input["id"]?.intValue.map({ String($0) }) else {
                return fail("MANDATORY_NOT_FOUND", "required field not found", ["api_name": "id", "json_path": path("id")])
            }
            guard let found = org.records[module]![id] else {
                return fail("INVALID_DATA", "the id given seems to be invalid", ["id": .string(id)])
            }
            existing = found
        case .upsert:
            if let id = input["id"]?.stringValue, let found = org.records[module]![id] { existing = found }
            for field in duplicateFields where existing == nil {
                guard let value = input[field], !value.isOdooEmpty else { continue }
                let records = org.records[module]!
                if let id = duplicates.ids(dc, module, field, value, in: records).min(), let found = records[id] {
                    existing = found
                    duplicateField = field
                }
            }
        case .create: break
        }
        // Field checks as Zoho makes them: names the module lacks and fields only Zoho writes, then
        // mandatory fields on insert, then each value against its field's type.
        let fields = org.fields(module)
        let byName = Dictionary(fields.map { ($0.apiName, $0) }) { first, _ in first }
        if let forbidden = forbiddenKey(input, byName) {
            let details = forbidden.problem.details(apiName: forbidden.key, jsonPath: path(forbidden.key))
            return fail("INVALID_DATA", forbidden.problem.message, details)
        }
        var values: [String: JSONValue] = [:]
        for field in fields where !field.readOnly {
            guard let value = input[field.apiName] else {
                if field.mandatory && existing == nil {
                    return fail(
                        "MANDATORY_NOT_FOUND",
                        "required field not found",
                        ["api_name": .string(field.apiName), "json_path": path(field.apiName)]
                    )
                }
                continue
            }
            // Zoho counts an empty text as missing too: `"Last_Name": ""` is MANDATORY_NOT_FOUND.
            if value.isNull || (field.mandatory && value.stringValue?.allSatisfy(\.isWhitespace) == true) {
                if field.mandatory {
                    return fail(
                        "MANDATORY_NOT_FOUND",
                        "required field not found",
                        ["api_name": .string(field.apiName), "json_path": path(field.apiName)]
                    )
                }
                values[field.apiName] = .null
                continue
            }
            if let problem = validate(field, value, org: org) {
                return fail("INVALID_DATA", problem.message, problem.details(apiName: field.apiName, jsonPath: path(field.apiName)))
            }
            values[field.apiName] = normalise(field, value, org: org)
        }
        // The system duplicate check on insert (and on update, against other records).
        for field in (mode == .upsert ? duplicateFields : CRMCatalogue.module(module)?.duplicateCheck ?? []) {
            guard let value = values[field], !value.isOdooEmpty else { continue }
            let records = org.records[module]!
            if let id = duplicates.ids(dc, module, field, value, in: records).subtracting([existing?.id ?? ""]).min(), let other = records[id] {
                var details: [String: JSONValue] = ["api_name": .string(field), "json_path": path(field)]
                if config.duplicateRecordDetails { details["duplicate_record"] = ["id": .string(other.id), "module": ["api_name": .string(module)]] }
                return fail("DUPLICATE_DATA", "duplicate data", .object(details))
            }
        }
        return .success(Checked(existing: existing, duplicateField: duplicateField, values: values))
    }

    /// Validates and applies one record; the caller collects per-record results in input order.
    func applyOne(
        _ dc: String,
        _ module: String,
        _ input: [String: JSONValue],
        index: Int,
        mode: WriteMode,
        duplicateFields: [String]
    ) -> Result<WriteOK, WriteFailure> {
        // Checked apart, so that no copy of the org is held here: the write below is then made in
        // place, where one through a copy would copy the module's whole table.
        let checked: Checked
        switch self.checked(dc, module, input, index: index, mode: mode, duplicateFields: duplicateFields) {
        case .failure(let failure): return .failure(failure)
        case .success(let c): checked = c
        }
        let (existing, duplicateField, values) = (checked.existing, checked.duplicateField, checked.values)
        let now = now()
        var record = existing ?? CRMRecord(id: orgs[dc]!.newID(), fields: [:], created: now, modified: now)
        var changed: [String: JSONValue] = [:]
        var edits: [String: CRMChange.Edit] = [:]
        for (k, v) in values where record.fields[k] != v {
            changed[k] = v
            edits[k] = CRMChange.Edit(old: record.fields[k], new: v.isNull ? nil : v)
            record.fields[k] = v.isNull ? nil : v
        }
        if existing == nil || !changed.isEmpty {
            record.modified = max(now, record.modified + 1)
            let change = CRMChange(time: record.modified, added: existing == nil, fields: existing == nil ? [:] : edits)
            record.history = (record.history ?? []) + [change]
        }
        orgs[dc]!.records[module]![record.id] = record
        duplicates.update(dc, module, old: existing, new: record)
        let details: [String: JSONValue] = [
            "id": .string(record.id), "Modified_Time": .string(zohoTime(record.modified)),
            "Modified_By": ["name": "Sim Admin", "id": "5725767000000100001"],
            "Created_Time": .string(zohoTime(record.created)),
            "Created_By": ["name": "Sim Admin", "id": "5725767000000100001"],
        ]
        var result: [String: JSONValue] = [
            "code": "SUCCESS", "details": .object(details),
            "message": existing == nil ? "record added" : "record updated", "status": "success",
        ]
        if mode == .upsert {
            result["action"] = existing == nil ? "insert" : "update"
            if let duplicateField { result["duplicate_field"] = .string(duplicateField) }
        }
        return .success(WriteOK(id: record.id, inserted: existing == nil, changed: existing == nil ? values : changed, result: .object(result)))
    }

    static func same(_ a: JSONValue?, _ b: JSONValue) -> Bool {
        if let x = a?.stringValue, let y = b.stringValue { return x.lowercased() == y.lowercased() }
        return a == b
    }

    func delete(_ r: SimRequest, _ module: String, ids: [String]) -> SimResponse {
        guard !ids.isEmpty else {
            return CRMError.response(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", ["param": "ids"])
        }
        guard ids.count <= 100 else { return CRMError.response(400, "LIMIT_EXCEEDED", "the given data exceeds the limit", ["limit": 100]) }
        var results: [JSONValue] = []
        var changes: [(id: String, operation: String, fields: [String: JSONValue])] = []
        for id in ids {
            if let record = orgs[r.dc]!.records[module]!.removeValue(forKey: id) {
                duplicates.update(r.dc, module, old: record, new: nil)
                let name = record.fields[CRMCatalogue.module(module)?.nameField ?? ""]?.stringValue ?? id
                orgs[r.dc]!.deleted[module]!.append(DeletedRecord(id: id, displayName: name, deleted: now()))
                results.append(["code": "SUCCESS", "details": ["id": .string(id)], "message": "record deleted", "status": "success"])
                changes.append((id, "delete", [:]))
            } else {
                results.append(CRMError.body("INVALID_DATA", "the id given seems to be invalid", ["id": .string(id)]))
            }
        }
        notify(dc: r.dc, module: module, changes: changes)
        let failures = results.filter { $0["status"] == "error" }.count
        return .json(failures == 0 ? 200 : (failures == results.count ? 400 : config.partialFailureStatus), ["data": .array(results)])
    }
}

/// CRM search criteria: `(field:op:value)` joined by `and` / `or`, parenthesised.
indirect enum Criteria {
    case leaf(field: String, op: String, value: String)
    case and(Criteria, Criteria)
    case or(Criteria, Criteria)

    static func parse(_ text: String) -> Criteria? {
        var chars = Array(text)
        var i = 0
        func expr() -> Criteria? {
            guard var left = term() else { return nil }
            while true {
                let rest = String(chars[i...]).lowercased()
                if rest.hasPrefix("and") {
                    i += 3
                    guard let right = term() else { return nil }
                    left = .and(left, right)
                } else if rest.hasPrefix("or") {
                    i += 2
                    guard let right = term() else { return nil }
                    left = .or(left, right)
                } else {
                    return left
                }
            }
        }
        func term() -> Criteria? {
            guard i < chars.count, chars[i] == "(" else { return nil }
            i += 1
            if i < chars.count, chars[i] == "(" {
                guard let inner = expr(), i < chars.count, chars[i] == ")" else { return nil }
                i += 1
                return inner
            }
            var depth = 0
            var body = ""
            while i < chars.count {
                if chars[i] == "\\", i + 1 < chars.count {
                    body.append(chars[i + 1])
                    i += 2
                    continue
                }
                if chars[i] == "(" { depth += 1 }
                if chars[i] == ")" {
                    if depth == 0 { break }
                    depth -= 1
                }
                body.append(chars[i])
                i += 1
            }
            guard i < chars.count else { return nil }
            i += 1
            let parts = body.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3 else { return nil }
            return .leaf(field: parts[0], op: parts[1], value: parts[2])
        }
        chars = Array(text)
        guard let result = expr(), i == chars.count else { return nil }
        return result
    }

    func matches(_ record: JSONValue) -> Bool {
        switch self {
        case .and(let a, let b): return a.matches(record) && b.matches(record)
        case .or(let a, let b): return a.matches(record) || b.matches(record)
        case .leaf(let field, let op, let value):
            let raw = record[field]
            let actual = (raw?["name"]?.stringValue ?? raw?["id"]?.stringValue ?? raw?.stringValue ?? raw.map { $0.serialized() } ?? "").lowercased()
            let v = value.lowercased()
            switch op {
            case "equals": return actual == v
            case "not_equal": return actual != v
            case "starts_with": return actual.hasPrefix(v)
            case "in": return v.split(separator: ",").map(String.init).contains(actual)
            case "greater_than": return (Double(actual) ?? 0) > (Double(v) ?? 0)
            case "less_than": return (Double(actual) ?? 0) < (Double(v) ?? 0)
            case "greater_equal": return (Double(actual) ?? 0) >= (Double(v) ?? 0)
            case "less_equal": return (Double(actual) ?? 0) <= (Double(v) ?? 0)
            default: return false
            }
        }
    }
}
