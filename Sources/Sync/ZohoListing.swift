import Core
import Foundation
import ZohoAPI

/// One page of a mapping's Zoho records, as a reconciliation reads them: page by page, each page
/// synced before the next is read.
struct ZohoPage: Sendable {
    var ids: [String] = []
    /// Each record's change time, in the order of `ids`.
    var times: [String?] = []
    /// Records the page returned whole (every mapped field present), so they need not be read again.
    var records: [String: JSONValue] = [:]
    var nextPageToken: String?
    var more = false
}

extension ZohoRecords {
    /// CRM records changed after `since` (all when nil), oldest change first: a run that stops can
    /// list again from the last change it synced.
    func crmPage(_ m: Mapping, since: String?, pageToken: String?) async throws -> ZohoPage {
        var query = [("fields", "Modified_Time"), ("sort_by", "Modified_Time"), ("sort_order", "asc"), ("per_page", "200")]
        if let pageToken { query.append(("page_token", pageToken)) }
        let headers = since.map { [("If-Modified-Since", $0)] } ?? []
        let exchange = try await client.call(instanceID, .crm, .GET, "/crm/v8/\(m.object)", query: query, headers: headers)
        var page = ZohoPage()
        for r in exchange.json?["data"]?.arrayValue ?? [] {
            guard let id = r["id"]?.stringValue else { continue }
            page.ids.append(id)
            page.times.append(r["Modified_Time"]?.stringValue)
        }
        if exchange.json?["info"]?["more_records"] == true { page.nextPageToken = exchange.json?["info"]?["next_page_token"]?.stringValue }
        page.more = page.nextPageToken != nil
        return page
    }

    /// One page of 200 Books records. Every record (`since` nil) in creation order, which the sidecar's
    /// own writes do not change, so a page number stays valid across a pause; or those changed since
    /// `since`, newest first, until the first older one. Inactive records too: Books' item lists show
    /// only active items unless told otherwise.
    func booksPage(_ m: Mapping, page number: Int, since: String?) async throws -> ZohoPage {
        let order =
            since == nil ? [("sort_column", "created_time"), ("sort_order", "A")] : [("sort_column", "last_modified_time"), ("sort_order", "D")]
        let exchange = try await client.call(
            instanceID,
            .books,
            .GET,
            "/books/v3/\(m.object)s",
            query: [("page", "\(number)"), ("per_page", "200"), Self.booksEveryStatus] + order
        )
        var page = ZohoPage()
        var older = false
        let sinceMicros = since.flatMap(Clock.parseOdoo)
        for r in exchange.json?["\(m.object)s"]?.arrayValue ?? [] {
            let time = r["last_modified_time"]?.stringValue
            if let sinceMicros, let t = time.flatMap(Clock.parseOdoo), t < sinceMicros {
                older = true
                continue
            }
            guard let id = r["\(m.object)_id"]?.stringValue else { continue }
            page.ids.append(id)
            page.times.append(time)
            if (m.fields.flatMap(\.zoho) + [m.matchZoho]).allSatisfy({ r[$0] != nil }) { page.records[id] = r }
        }
        page.more = !older && exchange.json?["page_context"]?["has_more_page"] == true
        return page
    }

    /// Books' filter for active and inactive records alike.
    static let booksEveryStatus = ("filter_by", "Status.All")

    /// CRM ids deleted after `since` (Books tells deletions only by webhook).
    func deleted(_ m: Mapping, since: String) async throws -> [String] {
        guard m.app == "crm" else { return [] }
        var ids: [String] = []
        var page = 1
        while true {
            let exchange = try await client.call(
                instanceID,
                .crm,
                .GET,
                "/crm/v8/\(m.object)/deleted",
                query: [("type", "all"), ("page", "\(page)"), ("per_page", "200")],
                headers: [("If-Modified-Since", since)]
            )
            ids += (exchange.json?["data"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            guard exchange.json?["info"]?["more_records"] == true, page < 10 else { break }
            page += 1
        }
        return ids
    }
}
