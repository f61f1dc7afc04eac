import Core
import Foundation
import FuzzCheck
import LeakChecks
import OdooRPC

/// XML-RPC request bodies (`/xmlrpc/2/<service>`), read with Foundation's XMLParser (libxml2) behind
/// the sidecar's own guards. Properties: a body is read as a call or refused with Odoo's BadRequest
/// in words that say nothing of Swift the caller did not write; a call has a method name with no
/// surrounding space; and its parameters, written back as XML-RPC by the sidecar's own writer (the
/// one its answers use), read back as the same values.
@main
enum XMLRPCCallFuzz {
    static func main() { runLibFuzzer(fuzzXMLRPCCall) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXMLRPCCall(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = Data(UnsafeBufferPointer(start: data, count: size))
    let call: XMLRPC.Call
    do {
        call = try XMLRPC.parseCall(body)
    } catch {
        guard let fault = error as? OdooFault else {
            fatalError("not an OdooFault: \(type(of: error))")
        }
        let text = String(decoding: body, as: UTF8.self)
        expect(fault.kind == .badRequest, "\(fault.kind): \(fault.message)")
        expect(!Leaks.looksLikeInternals(fault.message) || Leaks.looksLikeInternals(text), "internals: \(fault.message)")
        return 0
    }
    expect(!call.method.isEmpty, "a call without a method name")
    expect(call.method.trimmingCharacters(in: .whitespacesAndNewlines) == call.method, "method name \(call.method.debugDescription)")
    var written = "<?xml version='1.0'?>\n<methodCall><methodName>m</methodName><params>\n"
    for param in call.params {
        written += "<param>"
        XMLRPC.encode(param, into: &written)
        written += "</param>\n"
    }
    written += "</params></methodCall>\n"
    guard let reread = try? XMLRPC.parseCall(Data(written.utf8)) else {
        fatalError("the writer's own XML does not read: \(written.prefix(300))")
    }
    expect(
        reread.params == call.params,
        "read \(JSONValue.array(call.params).serialized()), read back \(JSONValue.array(reread.params).serialized())"
    )
    return 0
}
