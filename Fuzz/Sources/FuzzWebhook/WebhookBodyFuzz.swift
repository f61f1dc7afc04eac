import Core
import FuzzCheck
import LeakChecks
import Webhooks

/// Webhook bodies as Zoho sends them (CRM notifications, CRM workflow webhooks as JSON or form,
/// Books' payload, form-encoded `JSONString=`), each input read as every content type for both
/// apps. Properties: a body is read or refused with a `MalformedWebhook` whose message says nothing
/// of Swift the sender did not write; the same body always reads the same; an event read names at
/// least one record, every id a Zoho id (1–64 letters, digits, '-' or '_', as they go into job
/// payloads and Zoho URLs), an operation of insert, update, delete or change, and a SHA-256 dedup key.

private let senders = [(app: "crm", object: "Contacts"), (app: "books", object: "contact")]
private let contentTypes = ["application/json", "application/x-www-form-urlencoded; charset=UTF-8", nil]
private let idCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8)
private let operations: Set<String> = ["insert", "update", "delete", "change"]
private let hexDigits = Set("0123456789abcdef".utf8)

@main
enum WebhookBodyFuzz {
    static func main() { runLibFuzzer(fuzzWebhookBody) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebhookBody(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    for sender in senders {
        for contentType in contentTypes {
            let body = WebhookBody(bytes: bytes, contentType: contentType)
            let event: WebhookEvent
            do {
                event = try WebhookParser.parse(app: sender.app, object: sender.object, body: body)
            } catch {
                expect(!Leaks.looksLikeInternals(error.message) || Leaks.looksLikeInternals(text), "internals: \(error.message)")
                continue
            }
            let again = try? WebhookParser.parse(app: sender.app, object: sender.object, body: body)
            expect(again == event, "the same body read differently")
            expect(!event.ids.isEmpty, "an event without records")
            for id in event.ids {
                expect((1...64).contains(id.utf8.count) && id.utf8.allSatisfy(idCharacters.contains), "not a Zoho id: \(id.debugDescription)")
            }
            expect(operations.contains(event.operation), "operation \(event.operation.debugDescription)")
            expect(event.dedupKey.utf8.count == 64 && event.dedupKey.utf8.allSatisfy(hexDigits.contains), "dedup key \(event.dedupKey)")
        }
    }
    return 0
}
