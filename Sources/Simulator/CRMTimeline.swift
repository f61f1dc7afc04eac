import Core

extension SimState {
    /// A record's timeline, `GET /crm/{version}/{module}/{id}/__timeline`: each change with its
    /// `audited_time` (to the second, in the org's time zone, like Modified_Time) and, for an update,
    /// each field's old and new value as text in `field_history[]._value`. Newest first with
    /// `sort_by=audited_time&sort_order=desc`; Zoho's order without them is not documented [?], so the
    /// simulator then gives the oldest first. One page of `per_page` entries (at most 200); the
    /// sidecar reads only the newest page, and paging tokens are not simulated.
    func timeline(_ r: SimRequest, _ module: String, _ id: String) -> SimResponse {
        guard let record = orgs[r.dc]!.records[module]![id] else { return .empty(204) }
        let perPage = min(max(Int(r.query["per_page"] ?? "") ?? 200, 1), 200)
        var history = record.history ?? []
        if r.query["sort_by"] == "audited_time", r.query["sort_order"] == "desc" { history.reverse() }
        guard !history.isEmpty else { return .empty(204) }
        let page = history.prefix(perPage)
        let labels = Dictionary(
            (CRMCatalogue.module(module)?.fields ?? []).map { ($0.apiName, $0.label) },
            uniquingKeysWith: { first, _ in first }
        )
        let entries: [JSONValue] = page.enumerated().map { n, change in
            let fields: [JSONValue] = change.fields.keys.sorted().map { name in
                let edit = change.fields[name]!
                return [
                    "api_name": .string(name), "field_label": .string(labels[name] ?? name), "id": .string("57257670000002\(n)"),
                    "_value": ["new": Self.timelineText(edit.new), "old": Self.timelineText(edit.old)],
                ]
            }
            return [
                "audited_time": .string(zohoTime(change.time)), "action": change.added ? "added" : "updated", "source": "crm_api",
                "id": .string("57257670000003\(change.time)"), "done_by": ["name": "Sim Admin", "id": "5725767000000100001"],
                "record": ["id": .string(record.id), "module": ["api_name": .string(module)]],
                "field_history": change.added ? .null : .array(fields),
            ]
        }
        let info: JSONValue = ["per_page": .int(Int64(perPage)), "count": .int(Int64(page.count)), "more_records": .bool(history.count > perPage)]
        return .json(200, ["__timeline": .array(entries), "info": info])
    }

    /// A value as the timeline shows it: text, or null for an empty field.
    static func timelineText(_ value: JSONValue?) -> JSONValue {
        guard let value, !value.isNull else { return .null }
        return .string(value.stringValue ?? value.serialized())
    }
}
