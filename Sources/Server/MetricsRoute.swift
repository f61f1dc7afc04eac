import Core
import Hummingbird
import Monitoring
import NIOCore

/// `GET /metrics` in Prometheus' text format; with a token configured, only for `Bearer <token>`.
enum MetricsRoute {
    static func add(to router: Router<BasicRequestContext>, export: MetricsExport, token: String?) {
        router.get("/metrics") { request, _ -> Response in
            if let token {
                let presented = request.headers[.authorization].flatMap { a -> String? in
                    let parts = a.split(separator: " ", maxSplits: 1)
                    return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
                }
                guard let presented, Secrets.matches(presented, token) else {
                    return Response(
                        status: .unauthorized,
                        headers: [.contentType: "text/plain; charset=utf-8", .wwwAuthenticate: "Bearer"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: "metrics need Authorization: Bearer <metrics_token>\n"))
                    )
                }
            }
            let text = await export.render()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text))
            )
        }
    }
}
