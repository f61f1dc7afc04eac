import Core
import Foundation

/// Routes one request through Zoho's layers in the order Zoho applies them: faults, authentication,
/// scope, limits, then the API itself. Split in three steps so an artificial latency can be slept
/// outside the actor while the request still counts against concurrency.
extension SimState {
    public enum Admission: Sendable {
        case respond(SimResponse)
        /// `replyLost`: carry the request out, then drop the connection instead of answering.
        case proceed(heavy: Bool, replyLost: Bool)
    }

    public func admit(_ r: SimRequest) -> Admission {
        if r.dc == "_sim" { return .respond(finish(r, control(r))) }
        guard dataCenters.contains(r.dc) else { return .respond(finish(r, .html(404, page("Not Found", "No data centre '\(escape(r.dc))'.")))) }
        if let web = webApp(r) { return .respond(finish(r, web)) }
        switch r.path.first {
        case "accounts":
            let met = fault(r, app: "accounts")
            if let refusal = met.refusal { return .respond(refusal) }
            let response = finish(r, accounts(r))
            return .respond(met.replyLost ? Self.dropped : response)
        case "api" where r.path.count >= 3 && r.path[1] == "crm" && Self.crmVersions.contains(r.path[2]):
            let met = fault(r, app: "crm")
            if let refusal = met.refusal { return .respond(refusal) }
            guard r.header("authorization") != nil else { return .respond(finish(r, CRMError.authenticationFailure)) }
            guard let at = bearer(r) else { return .respond(finish(r, CRMError.invalidToken)) }
            guard hasScope(at, r) else { return .respond(finish(r, CRMError.scopeMismatch)) }
            let heavy = isHeavy(r)
            if let limited = crmAdmit(r, heavy: heavy) { return .respond(finish(r, limited)) }
            return .proceed(heavy: heavy, replyLost: met.replyLost)
        case "api" where r.path.count >= 3 && r.path[1] == "books" && r.path[2] == "v3":
            let met = fault(r, app: "books")
            if let refusal = met.refusal { return .respond(refusal) }
            guard bearer(r) != nil else { return .respond(finish(r, BooksError.unauthorized)) }
            return .proceed(heavy: false, replyLost: met.replyLost)
        default:
            return .respond(finish(r, CRMError.notFound))
        }
    }

    /// The app's fault for this request: a refusal to answer with at once, or a reply to lose once the
    /// request is carried out.
    func fault(_ r: SimRequest, app: String) -> (refusal: SimResponse?, replyLost: Bool) {
        switch takeFault(target: app, method: r.method) {
        case nil: (nil, false)
        case .lostReply: (nil, true)
        case let kind?: (finish(r, faultResponse(kind, app: app)), false)
        }
    }

    /// Runs an admitted API request and releases its concurrency slot.
    public func complete(_ r: SimRequest, heavy: Bool) -> SimResponse {
        guard let at = bearer(r) else {
            if r.path[1] == "crm" { crmRelease(r, heavy: heavy) }
            return finish(r, r.path[1] == "crm" ? CRMError.invalidToken : BooksError.unauthorized)
        }
        if r.path[1] == "crm" {
            let response = crm(r, at)
            crmRelease(r, heavy: heavy)
            return finish(r, response)
        }
        return finish(r, booksAPI(r, at))
    }

    func finish(_ r: SimRequest, _ response: SimResponse) -> SimResponse {
        if r.dc != "_sim" { log(r, status: response.status) }
        return response
    }

    /// A dropped connection; for a lost reply the request log still says what Zoho answered.
    public static let dropped = SimResponse(status: 500, headers: [], body: [], effect: .dropConnection)

    func faultResponse(_ fault: Fault.Kind, app: String) -> SimResponse {
        switch fault {
        case .http500:
            return app == "books" ? BooksError.internalError : app == "crm" ? CRMError.internalError : .html(500, page("Internal Server Error", ""))
        case .http502: return .html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
        case .tooMany:
            return app == "books"
                ? BooksError.tooManyRequests(retryAfter: config.retryAfterSeconds) : CRMError.tooManyRequests(retryAfter: config.retryAfterSeconds)
        case .invalidToken: return app == "books" ? BooksError.unauthorized : CRMError.invalidToken
        case .drop, .lostReply: return Self.dropped
        case .timeout:
            return SimResponse(status: 504, headers: [], body: Array("Gateway Timeout".utf8), effect: .hold(seconds: config.timeoutFaultSeconds))
        }
    }

    public var apiLatency: Int { config.apiLatencyMilliseconds }
}
