import Core
import Foundation
import Hummingbird
import ZohoAPI

/// `GET /zoho/oauth/callback`: where Zoho sends the browser after consent.
public enum OAuthRoutes {
    static func add(to router: Router<BasicRequestContext>, flow: OAuthFlow, channels: NotificationChannels) {
        router.get("/zoho/oauth/callback") { request, _ -> Response in
            let outcome = await flow.complete(query: callbackQuery(request.uri.queryParameters))
            // Zoho's notifications start with the connection, not at the next housekeeping round;
            // a failure is logged there and retried by that round.
            if outcome.connected {
                await channels.maintain()
            }
            if let url = outcome.returnURL {
                return Response(status: .found, headers: [.location: url])
            }
            let title = outcome.connected ? "Connected to Zoho" : "Zoho authorization failed"
            let html =
                "<!doctype html><html><head><meta charset=\"utf-8\"><title>\(title)</title></head><body><h1>\(title)</h1><p>\(escape(outcome.message))</p><p>You can close this window.</p></body></html>"
            return Response(
                status: outcome.connected ? .ok : .badRequest,
                headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: .init(string: html))
            )
        }
    }

    /// The callback's query parameters as the flow reads them: of a repeated name, the last.
    public static func callbackQuery(_ parameters: some Sequence<(key: Substring, value: Substring)>) -> [String: String] {
        var query: [String: String] = [:]
        for (k, v) in parameters { query[String(k)] = String(v) }
        return query
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
