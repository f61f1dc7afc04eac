import Core
import Foundation
import Hummingbird
import ZohoAPI

/// `GET /zoho/oauth/callback`: where Zoho sends the browser after consent.
enum OAuthRoutes {
    static func add(to router: Router<BasicRequestContext>, flow: OAuthFlow) {
        router.get("/zoho/oauth/callback") { request, _ -> Response in
            var query: [String: String] = [:]
            for (k, v) in request.uri.queryParameters { query[String(k)] = String(v) }
            let outcome = await flow.complete(query: query)
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

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
