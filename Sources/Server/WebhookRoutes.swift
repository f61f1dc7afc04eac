import Core
import HTTPTypes
import Hummingbird
import NIOCore
import Webhooks

/// `POST /zoho/webhook/<instance id>/<app>/<object>`; any other method gets 405.
enum WebhookRoutes {
    static let path: RouterPath = "/zoho/webhook/:instance/:app/:object"
    static let secretHeader = HTTPField.Name("X-Zoho-Webhook-Secret")!
    static let signatureHeader = HTTPField.Name("X-Zoho-Webhook-Signature")!

    static func add(to router: Router<BasicRequestContext>, gateway: WebhookGateway, maxBodyBytes: Int) {
        router.post(path) { request, context -> Response in
            let body: [UInt8]?
            do {
                body = Array(buffer: try await request.body.collect(upTo: maxBodyBytes))
            } catch is NIOTooManyBytesError {
                body = nil
            }
            let reply = await gateway.receive(
                Delivery(
                    instance: context.parameters.get("instance") ?? "",
                    app: context.parameters.get("app") ?? "",
                    object: context.parameters.get("object") ?? "",
                    query: request.uri.query.map { FormEncoding.pairs($0) } ?? [],
                    contentType: request.headers[.contentType],
                    secretHeader: request.headers[secretHeader],
                    signatureHeader: request.headers[signatureHeader],
                    body: body,
                    declaredSize: request.headers[.contentLength].flatMap { Int($0) }
                )
            )
            var response = HTTPServer.json(reply.body, status: HTTPResponse.Status(code: reply.status))
            if let after = reply.retryAfter { response.headers[.retryAfter] = String(after) }
            return response
        }
        for method in [HTTPRequest.Method.get, .put, .patch, .delete] {
            router.on(path, method: method) { _, _ -> Response in
                var response = HTTPServer.json(
                    ["error": "method_not_allowed", "message": "webhooks are delivered with POST"],
                    status: .methodNotAllowed
                )
                response.headers[.allow] = "POST"
                return response
            }
        }
    }
}
