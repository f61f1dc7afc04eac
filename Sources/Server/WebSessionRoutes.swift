import Core
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OdooRPC
import RPCModels

/// Odoo's web-session doors, as OdooRPC and other session clients use them: version, log in with a
/// key, session info, log out, and model calls with the session's cookie. Each takes Odoo's
/// JSON-RPC envelope (`{"jsonrpc":"2.0","method":"call","params":{…}}`) and answers in it.
extension HTTPServer {
    static func addWebSessions(
        to router: Router<BasicRequestContext>,
        rpc: RPCEndpoint,
        sessions: WebSessions,
        limiter: BurstLimiter,
        limit: Int,
        secureCookies: Bool
    ) {
        func route(_ path: String, _ handle: @escaping @Sendable (JSONValue, Request, Parameters) async throws -> (JSONValue, String?)) {
            router.post(RouterPath(path)) { request, context -> Response in
                if let wait = limiter.take(0) {
                    let fault = OdooFault(.tooManyRequests, "Too many requests; retry in \(wait) s")
                    return tooMany(wait, json: Envelope.error(id: .null, fault))
                }
                var id: JSONValue = .null
                do {
                    let body = try await readJSON(request, limit: limit, emptyIsNull: true)
                    id = body["id"] ?? .null
                    let params = body["params"] ?? [:]
                    guard params.objectValue != nil else {
                        throw OdooFault(.badRequest, "Invalid JSON-RPC request: params must be an object")
                    }
                    let (result, cookie) = try await handle(params, request, context.parameters)
                    var response = json(Envelope.result(id: id, result))
                    if let cookie {
                        response.headers[.setCookie] = cookie
                    }
                    return response
                } catch {
                    return json(Envelope.error(id: id, rpc.fault(from: error)))
                }
            }
        }

        @Sendable func session(_ request: Request) async throws -> WebSessions.Session {
            guard let session = sessions.use(cookie(WebSessions.cookie, in: request)), try await rpc.keys.isLive(id: session.uid) else {
                throw OdooFault(.sessionExpired, "Session expired: log in again with /web/session/authenticate")
            }
            return session
        }

        @Sendable func setCookie(_ value: String, maxAge: Int) -> String {
            let secure = secureCookies ? "; Secure" : ""
            return "\(WebSessions.cookie)=\(value); Max-Age=\(maxAge); Path=/; HttpOnly; SameSite=Lax\(secure)"
        }

        route("/web/webclient/version_info") { _, _, _ in (rpc.versionInfo, nil) }

        route("/web/database/list") { _, _, _ in (["zoho_sidecar"], nil) }

        route("/web/session/authenticate") { params, _, _ in
            guard let login = params["login"]?.stringValue, let password = params["password"]?.stringValue else {
                throw OdooFault(.badRequest, "/web/session/authenticate expects params db, login and password")
            }
            guard let uid = try await rpc.keys.verify(password, login: login) else { throw OdooFault.accessDenied() }
            let id = sessions.open(uid: uid, login: login)
            let lifetime = Int(WebSessions.idleLifetime.components.seconds)
            return (sessionInfo(uid: uid, login: login, rpc: rpc), setCookie(id, maxAge: lifetime))
        }

        route("/web/session/get_session_info") { _, request, _ in
            let s = try await session(request)
            return (sessionInfo(uid: s.uid, login: s.login, rpc: rpc), nil)
        }

        route("/web/session/destroy") { _, request, _ in
            sessions.destroy(cookie(WebSessions.cookie, in: request))
            return (.null, setCookie("", maxAge: 0))
        }

        for path in ["/web/dataset/call_kw", "/web/dataset/call_kw/:model/:method"] {
            route(path) { params, request, _ in
                let s = try await session(request)
                guard let model = params["model"]?.stringValue, let method = params["method"]?.stringValue else {
                    throw OdooFault(.badRequest, "call_kw expects params model, method, args and kwargs")
                }
                let args = params["args"]?.arrayValue ?? []
                let kwargs = params["kwargs"]?.objectValue ?? [:]
                return (try await rpc.callKw(uid: s.uid, model: model, method: method, args: args, kwargs: kwargs), nil)
            }
        }
    }

    /// What Odoo answers to `authenticate` and `get_session_info`, for the keys clients read.
    static func sessionInfo(uid: Int64, login: String, rpc: RPCEndpoint) -> JSONValue {
        [
            "uid": .int(uid), "username": .string(login), "name": .string(login), "db": "zoho_sidecar",
            "is_system": false, "is_admin": false, "partner_id": false, "company_id": false,
            "user_context": ["lang": "en_US", "tz": "UTC", "uid": .int(uid)],
            "server_version": .string(RPCEndpoint.odooSeries), "server_version_info": rpc.versionInfo["server_version_info"] ?? [],
        ]
    }

    /// A cookie's value from the request's `Cookie` headers.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }
}
