import Core
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OdooRPC

/// `/xmlrpc/2/<service>` (integer fault codes) and the older `/xmlrpc/<service>` (string fault
/// codes), as Odoo serves them: the same services, keys, companies, body limit and rate as
/// `/jsonrpc`, and every answer, faults included, an XML document with status 200.
extension HTTPServer {
    static func addXMLRPC(to router: Router<BasicRequestContext>, rpc: RPCEndpoint, limiter: BurstLimiter, limit: Int, rate: Double) {
        for (prefix, stringCodes) in [("/xmlrpc/2", false), ("/xmlrpc", true)] {
            router.post("\(prefix)/:service") { request, context -> Response in
                let service = context.parameters.get("service") ?? ""
                if let wait = limiter.take(0) {
                    let fault = OdooFault(.tooManyRequests, "Too many requests: more than \(Int(rate)) per second; retry in \(wait) s")
                    var response = xml(XMLRPC.fault(fault, stringCodes: stringCodes), status: .tooManyRequests)
                    response.headers[.retryAfter] = String(wait)
                    return response
                }
                do {
                    let body = try await request.body.collect(upTo: limit)
                    return xml(await xmlRPC(body, service: service, stringCodes: stringCodes, rpc: rpc))
                } catch is NIOTooManyBytesError {
                    let fault = OdooFault(.payloadTooLarge, "Request body exceeds the limit of \(limit) bytes")
                    return xml(XMLRPC.fault(fault, stringCodes: stringCodes), status: .contentTooLarge)
                } catch {
                    let fault = OdooFault(.badRequest, "The request body could not be read")
                    return xml(XMLRPC.fault(fault, stringCodes: stringCodes), status: .badRequest)
                }
            }
        }
    }

    /// One XML-RPC request body to its answer: what the route serves, and what the fuzzers feed.
    public static func xmlRPC(_ body: ByteBuffer, service: String, stringCodes: Bool, rpc: RPCEndpoint) async -> String {
        do {
            let call = try XMLRPC.parseCall(Data(body.readableBytesView))
            return XMLRPC.response(try await rpc.call(service: service, method: call.method, args: call.params))
        } catch {
            return XMLRPC.fault(rpc.fault(from: error), stringCodes: stringCodes)
        }
    }

    static func xml(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/xml; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}
