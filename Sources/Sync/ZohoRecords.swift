import Core
import Foundation
import ZohoAPI

/// One record's outcome in a batch write: Zoho answers per record, and a bad record fails alone.
struct RecordResult: Sendable {
    var id: String?
    var modifiedTime: String?
    var refusal: Refusal?
    /// Not written: the app reached its limit first (a 429, the daily quota).
    var waiting: ZohoError?
}

/// Reads and writes records of a mapped Zoho module: CRM in batches of 100, Books one at a time
/// (its API has no batch writes; facts §6 names none).
struct ZohoRecords: Sendable {
    let client: ZohoClient
    let instanceID: Int64

    /// The records that exist, by id; an id missing from the answer was deleted.
    func fetch(_ m: Mapping, _ ids: [String]) async throws -> [String: JSONValue] {
        var found: [String: JSONValue] = [:]
        switch m.app {
        case "crm":
            for chunk in ids.chunked(SyncJobs.batchLimit) {
                let exchange = try await client.call(
                    instanceID,
                    .crm,
                    .GET,
                    "/crm/v8/\(m.object)",
                    query: [("ids", chunk.joined(separator: ",")), ("fields", m.zohoFields.joined(separator: ","))]
                )
                for r in exchange.json?["data"]?.arrayValue ?? [] { if let id = r["id"]?.stringValue { found[id] = r } }
            }
        default:
            for id in ids {
                do {
                    let exchange = try await client.call(instanceID, .books, .GET, "/books/v3/\(m.object)s/\(id)")
                    if let record = exchange.json?[m.object] { found[id] = record }
                } catch let error as ZohoError where Self.isNotFound(error) {
                    continue
                }
            }
        }
        return found
    }

    /// The records whose match field equals one of `values`, keyed by the lowercased value. CRM takes
    /// ten conditions per search, so 100 new records cost ten searches, not a hundred; they are asked
    /// at once, since each takes Zoho a while. Searches count against CRM's sub-concurrency of 10; the
    /// sidecar's HTTP client keeps at most 8 connections to a Zoho host (`CRMLimitsTests`).
    func match(_ m: Mapping, _ values: [String]) async throws -> [String: JSONValue] {
        var found: [String: JSONValue] = [:]
        switch m.app {
        case "crm":
            let chunks = values.sorted().chunked(10).map(Array.init)
            let answers = try await withThrowingTaskGroup(of: (Int, [JSONValue]).self) { group in
                for (n, chunk) in chunks.enumerated() {
                    group.addTask { (n, try await crmSearch(m, chunk)) }
                }
                var answers = [[JSONValue]](repeating: [], count: chunks.count)
                for try await (n, records) in group { answers[n] = records }
                return answers
            }
            // In the values' order, whatever order the answers came in: the same record wins each time.
            for r in answers.joined() {
                if let key = r[m.matchZoho]?.stringValue?.lowercased(), found[key] == nil { found[key] = r }
            }
        default:
            for v in values {
                let query = [(m.matchZoho, v), Self.booksEveryStatus]
                let exchange = try await client.call(instanceID, .books, .GET, "/books/v3/\(m.object)s", query: query)
                if let r = exchange.json?["\(m.object)s"]?.arrayValue?.first(where: { $0[m.matchZoho]?.stringValue == v }) {
                    found[v.lowercased()] = r
                }
            }
        }
        return found
    }

    /// One CRM search for records whose match field equals any of `values` (ten at most).
    private func crmSearch(_ m: Mapping, _ values: [String]) async throws -> [JSONValue] {
        let criteria = values.map { v in
            let escaped = v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(")
                .replacingOccurrences(of: ")", with: "\\)").replacingOccurrences(of: ",", with: "\\,")
            return "(\(m.matchZoho):equals:\(escaped))"
        }.joined(separator: "or")
        let exchange = try await client.call(
            instanceID,
            .crm,
            .GET,
            "/crm/v8/\(m.object)/search",
            query: [("criteria", values.count == 1 ? criteria : "(\(criteria))"), ("fields", m.zohoFields.joined(separator: ","))]
        )
        return exchange.json?["data"]?.arrayValue ?? []
    }

    /// When a CRM record's `fields` took the values `shown`, from the record's timeline: for each field,
    /// the newest change that set the value shown, to the second (`audited_time`). A field whose value
    /// no change on the first page set is left out.
    func changeTimes(_ m: Mapping, id: String, fields: [String], shown: JSONValue) async throws -> [String: Micros] {
        let exchange = try await client.call(
            instanceID,
            .crm,
            .GET,
            "/crm/v8/\(m.object)/\(id)/__timeline",
            query: [("sort_by", "audited_time"), ("sort_order", "desc"), ("per_page", "200")]
        )
        var times: [String: Micros] = [:]
        for entry in exchange.json?["__timeline"]?.arrayValue ?? [] {
            guard let time = entry["audited_time"]?.stringValue.flatMap(Clock.parseOdoo) else { continue }
            for edit in entry["field_history"]?.arrayValue ?? [] {
                guard let f = edit["api_name"]?.stringValue, fields.contains(f), times[f] == nil,
                    Self.timelineText(edit["_value"]?["new"]) == Self.timelineText(shown[f])
                else { continue }
                times[f] = time
            }
        }
        return times
    }

    /// A value as a timeline shows it: text, or nil for an empty field.
    static func timelineText(_ value: JSONValue?) -> String? {
        guard let value, !value.isNull else { return nil }
        return value.stringValue ?? value.serialized()
    }

    /// Creates records; results in input order.
    func create(_ m: Mapping, _ records: [[String: JSONValue]]) async throws -> [RecordResult] {
        try await write(m, records.map { (nil, $0) })
    }

    /// Updates records by id; results in input order.
    func update(_ m: Mapping, _ records: [(id: String, values: [String: JSONValue])]) async throws -> [RecordResult] {
        try await write(m, records.map { ($0.id, $0.values) })
    }

    private func write(_ m: Mapping, _ records: [(id: String?, values: [String: JSONValue])]) async throws -> [RecordResult] {
        var results: [RecordResult] = []
        // Once the app is at its limit, the records left are not tried: they wait with the job.
        var limited: ZohoError?
        switch m.app {
        case "crm":
            for slice in records.chunked(SyncJobs.batchLimit) {
                let chunk = Array(slice)
                if let limited {
                    results += chunk.map { _ in RecordResult(waiting: limited) }
                    continue
                }
                let creating = chunk[0].id == nil
                let data: [JSONValue] = chunk.map { r in
                    var o = r.values
                    if let id = r.id { o["id"] = .string(id) }
                    return .object(o)
                }
                let exchange: Exchange
                do {
                    exchange = try await client.call(
                        instanceID,
                        .crm,
                        creating ? .POST : .PUT,
                        "/crm/v8/\(m.object)",
                        json: ["data": .array(data)],
                        recordResults: true
                    )
                } catch let error as ZohoError where error.isLimited {
                    limited = error
                    results += chunk.map { _ in RecordResult(waiting: error) }
                    continue
                }
                let rows = exchange.json?["data"]?.arrayValue ?? []
                results += chunk.indices.map { i in i < rows.count ? Self.result(rows[i], m) : RecordResult(refusal: .noResult) }
            }
        default:
            for r in records {
                if let limited {
                    results.append(RecordResult(waiting: limited))
                    continue
                }
                do {
                    let path = r.id.map { "/books/v3/\(m.object)s/\($0)" } ?? "/books/v3/\(m.object)s"
                    let exchange = try await client.call(instanceID, .books, r.id == nil ? .POST : .PUT, path, json: .object(r.values))
                    let record = exchange.json?[m.object]
                    results.append(
                        RecordResult(id: record?["\(m.object)_id"]?.stringValue ?? r.id, modifiedTime: record?["last_modified_time"]?.stringValue)
                    )
                } catch let error as ZohoError where error.isLimited {
                    limited = error
                    results.append(RecordResult(waiting: error))
                } catch let error as ZohoError {
                    guard case .rejected(let code) = error.kind else { throw error }
                    // Books' own words, without the client's generic prefix.
                    let said = error.message.replacingOccurrences(of: "Zoho refused the request: \(code) ", with: "")
                    results.append(RecordResult(refusal: .books(code: code, message: said)))
                }
            }
        }
        return results
    }

    func delete(_ m: Mapping, _ ids: [String]) async throws {
        switch m.app {
        case "crm":
            for chunk in ids.chunked(SyncJobs.batchLimit) {
                _ = try await client.call(instanceID, .crm, .DELETE, "/crm/v8/\(m.object)", query: [("ids", chunk.joined(separator: ","))])
            }
        default:
            for id in ids {
                do {
                    _ = try await client.call(instanceID, .books, .DELETE, "/books/v3/\(m.object)s/\(id)")
                } catch let error as ZohoError where Self.isNotFound(error) {
                    continue
                }
            }
        }
    }

    static func result(_ row: JSONValue, _ m: Mapping) -> RecordResult {
        if row["status"] == "success" {
            return RecordResult(id: row["details"]?["id"]?.stringValue, modifiedTime: row["details"]?["Modified_Time"]?.stringValue)
        }
        return RecordResult(refusal: .crm(row, m))
    }

    /// A record that is not there: Books' errors page says 1002 ("Invoice does not exist."); the items
    /// pages of Zoho Invoice and Billing, Books' siblings, say 2006 for an item, so both count.
    static func isNotFound(_ error: ZohoError) -> Bool {
        if case .rejected(let code) = error.kind { return ["1002", "2006", "HTTP_404"].contains(code) }
        return false
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
