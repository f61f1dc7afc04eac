import Core
import Crypto
import Foundation

/// CRM's Notification ("watch") API, and the callbacks and webhooks the simulated Zoho sends when
/// records change — over real HTTP, with configurable duplicates, delays and reordering.
extension SimState {
    func watch(_ r: SimRequest) -> SimResponse {
        var org = orgs[r.dc]!
        switch r.method {
        case "GET":
            let now = now()
            var list = org.channels.values.filter { $0.expiry > now }
            if let id = r.query["channel_id"] { list = list.filter { $0.channelID == id } }
            if let module = r.query["module"] { list = list.filter { $0.events.contains { $0.hasPrefix(module + ".") } } }
            guard !list.isEmpty else { return .empty(204) }
            return .json(
                200,
                [
                    "watch": .array(list.sorted { $0.channelID < $1.channelID }.map { channelJSON($0) }),
                    "info": ["per_page": 200, "count": .int(Int64(list.count)), "page": 1, "more_records": false],
                ]
            )
        case "DELETE":
            let ids = (r.query["channel_ids"] ?? "").split(separator: ",").map(String.init)
            guard !ids.isEmpty else {
                return CRMError.response(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", ["param": "channel_ids"])
            }
            var results: [JSONValue] = []
            for id in ids {
                if org.channels.removeValue(forKey: id) != nil {
                    results.append([
                        "code": "SUCCESS", "details": ["channel_id": .string(id)], "message": "Successfully un-subscribed from actions-watch",
                        "status": "success",
                    ])
                } else {
                    results.append(
                        CRMError.body("NOT_SUBSCRIBED", "not subscribed for actions-watch of the given module", ["channel_id": .string(id)])
                    )
                }
            }
            orgs[r.dc] = org
            return .json(200, ["watch": .array(results)])
        case "POST", "PUT", "PATCH":
            guard let items = r.json?["watch"]?.arrayValue, !items.isEmpty else {
                return CRMError.response(400, "MANDATORY_NOT_FOUND", "required field not found", ["api_name": "watch"])
            }
            var results: [JSONValue] = []
            for item in items {
                let result = applyWatch(item, method: r.method, org: &org)
                results.append(result)
            }
            orgs[r.dc] = org
            let ok = results.allSatisfy { $0["status"] == "success" }
            return .json(ok ? 200 : 400, ["watch": .array(results)])
        default:
            return CRMError.methodNotAllowed
        }
    }

    func applyWatch(_ item: JSONValue, method: String, org: inout CRMOrg) -> JSONValue {
        guard let channelID = item["channel_id"]?.intValue.map({ String($0) }) ?? item["channel_id"]?.stringValue else {
            return CRMError.body("MANDATORY_NOT_FOUND", "required field not found", ["api_name": "channel_id"])
        }
        let existing = org.channels[channelID]
        if method != "POST", existing == nil {
            return CRMError.body("NOT_SUBSCRIBED", "not subscribed for actions-watch of the given module", ["channel_id": .string(channelID)])
        }
        var events = item["events"]?.arrayValue?.compactMap(\.stringValue)
        if method == "PATCH", let old = existing?.events, let new = events {
            events = item["_delete_events"]?.boolValue == true ? old.filter { !new.contains($0) } : Array(Set(old + new)).sorted()
        }
        guard let events = events ?? existing?.events, !events.isEmpty else {
            return CRMError.body("MANDATORY_NOT_FOUND", "required field not found", ["api_name": "events"])
        }
        for e in events {
            let parts = e.split(separator: ".")
            guard parts.count == 2, CRMCatalogue.names.contains(String(parts[0])), ["create", "edit", "delete", "all"].contains(String(parts[1]))
            else {
                return CRMError.body("INVALID_DATA", "invalid data", ["api_name": "events", "value": .string(e)])
            }
        }
        guard let notifyURL = item["notify_url"]?.stringValue ?? existing?.notifyURL else {
            return CRMError.body("MANDATORY_NOT_FOUND", "required field not found", ["api_name": "notify_url"])
        }
        let token = item["token"]?.stringValue ?? existing?.token
        if let token, token.count > 50 {
            return CRMError.body("INVALID_DATA", "invalid data", ["api_name": "token", "maximum_length": 50])
        }
        // An absent or too distant expiry silently falls back to one hour.
        let now = now()
        var expiry = now + 3_600_000_000
        if let text = item["channel_expiry"]?.stringValue, let t = Clock.parseOdoo(text), t > now, t - now <= 7 * 86_400_000_000 {
            expiry = t
        } else if item["channel_expiry"] == nil, let old = existing?.expiry, method == "PATCH" {
            expiry = old
        }
        var resourceIDs: [String: String] = existing?.resourceIDs ?? [:]
        for e in events {
            let m = String(e.split(separator: ".")[0])
            if resourceIDs[m] == nil {
                resourceIDs[m] = "5725767000000" + rng.alnum(6).filter(\.isNumber).padding(toLength: 6, withPad: "0", startingAt: 0)
            }
        }
        let channel = WatchChannel(
            channelID: channelID,
            events: events,
            notifyURL: notifyURL,
            token: token,
            expiry: expiry,
            returnAffectedFieldValues: item["return_affected_field_values"]?.boolValue ?? existing?.returnAffectedFieldValues ?? false,
            resourceIDs: resourceIDs
        )
        org.channels[channelID] = channel
        let message =
            method == "POST" ? "Successfully subscribed for actions-watch of the given module" : "Successfully updated the subscribe details"
        return ["code": "SUCCESS", "details": ["events": .array(channelEvents(channel))], "message": .string(message), "status": "success"]
    }

    func channelEvents(_ c: WatchChannel) -> [JSONValue] {
        Set(c.events.map { String($0.split(separator: ".")[0]) }).sorted().map { module in
            [
                "channel_expiry": .string(zohoTime(c.expiry)), "resource_uri": .string("https://www.zohoapis.com/crm/v2/\(module)"),
                "resource_id": .string(c.resourceIDs[module] ?? ""), "resource_name": .string(module), "channel_id": .string(c.channelID),
            ]
        }
    }

    func channelJSON(_ c: WatchChannel) -> JSONValue {
        [
            "channel_id": .string(c.channelID), "events": .array(c.events.map { .string($0) }), "notify_url": .string(c.notifyURL),
            "channel_expiry": .string(zohoTime(c.expiry)), "token": c.token.map { .string($0) } ?? .null,
            "return_affected_field_values": .bool(c.returnAffectedFieldValues),
        ]
    }

    /// Sends Zoho's callback to every live channel watching these changes, batching ids per operation.
    func notify(dc: String, module: String, changes: [(id: String, operation: String, fields: [String: JSONValue])]) {
        guard !changes.isEmpty else { return }
        let now = now()
        let org = orgs[dc]!
        for operation in ["insert", "update", "delete"] {
            let batch = changes.filter { $0.operation == operation }
            guard !batch.isEmpty else { continue }
            let event = ["insert": "create", "update": "edit", "delete": "delete"][operation]!
            for channel in org.channels.values.sorted(by: { $0.channelID < $1.channelID })
            where channel.expiry > now
                && (channel.events.contains("\(module).\(event)") || channel.events.contains("\(module).all"))
            {
                let query = URLComponents(string: channel.notifyURL)?.queryItems ?? []
                var body: [String: JSONValue] = [
                    "server_time": .int(now / 1000),
                    "query_params": .object(Dictionary(query.map { ($0.name, JSONValue.string($0.value ?? "")) }, uniquingKeysWith: { a, _ in a })),
                    "module": .string(module), "resource_uri": .string("https://www.zohoapis.com/crm/v2/\(module)"),
                    "ids": .array(batch.map { .string($0.id) }),
                    "affected_fields": .array(
                        operation == "update" ? batch.map { [$0.id: .array($0.fields.keys.sorted().map { .string($0) })] } : []
                    ),
                    "operation": .string(operation), "channel_id": .string(channel.channelID),
                ]
                if let token = channel.token { body["token"] = .string(token) }
                if channel.returnAffectedFieldValues, operation == "update" {
                    body["affected_values"] = .array(batch.map { ["record_id": .string($0.id), "values": .object($0.fields)] })
                }
                enqueueDelivery(
                    Delivery(
                        kind: "crm_notification",
                        url: channel.notifyURL,
                        body: JSONValue.object(body).serialized(),
                        headers: ["Content-Type": "application/json"],
                        status: nil,
                        attempts: 0,
                        error: nil
                    )
                )
            }
            for hook in org.workflowWebhooks where hook.module == module && (hook.events.contains(event) || hook.events.contains("all")) {
                for change in batch {
                    var record: [String: JSONValue] = change.fields
                    record["id"] = .string(change.id)
                    record["module"] = .string(module)
                    record["operation"] = .string(operation)
                    let body =
                        hook.form
                        ? record.keys.sorted().map {
                            "\($0)=\((record[$0]!.stringValue ?? record[$0]!.serialized()).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
                        }.joined(separator: "&")
                        : JSONValue.object(record).serialized()
                    var headers = hook.headers
                    headers["Content-Type"] = hook.form ? "application/x-www-form-urlencoded" : "application/json"
                    enqueueDelivery(Delivery(kind: "crm_workflow", url: hook.url, body: body, headers: headers, status: nil, attempts: 0, error: nil))
                }
            }
        }
        flushDeliveries()
    }

    func enqueueDelivery(_ d: Delivery) {
        pendingDeliveries.append(d)
        if Double(rng.next() % 10_000) / 100 < config.duplicateDeliveryPercent { pendingDeliveries.append(d) }
    }

    /// Hands pending deliveries to the notifier, reversed when reordering is on.
    func flushDeliveries() {
        guard !pendingDeliveries.isEmpty else { return }
        let batch = config.reorderDeliveries ? pendingDeliveries.reversed() : pendingDeliveries
        pendingDeliveries = []
        let delay = config.delayDeliveryMilliseconds
        let timeout = config.deliveryTimeoutSeconds
        let retries = config.deliveryRetries
        notifier.send(Array(batch), delayMilliseconds: delay, timeoutSeconds: timeout, retries: retries, state: self)
    }

    func recordDelivery(_ d: Delivery) {
        deliveries.append(d)
        if deliveries.count > 10_000 { deliveries.removeFirst(deliveries.count - 10_000) }
    }

    /// Zoho Billing's signature: HMAC-SHA256 over the sorted query/form pairs `keyvalue…` and the raw body.
    public static func booksSignature(secret: String, query: [String: String], body: String) -> String {
        let message = query.keys.sorted().map { $0 + query[$0]! }.joined() + body
        let mac = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return mac.hex
    }
}
