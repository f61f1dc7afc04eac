import Core

/// Odoo's JSON-RPC 2.0 envelope: `{"jsonrpc":"2.0","method":"call","params":{...},"id":N}` in, and
/// `{"jsonrpc":"2.0","id":N,"result":...}` or `{..., "error":{"code":200,"message":"Odoo Server Error","data":{...}}}` out.
public enum Envelope {
    public static func result(id: JSONValue, _ result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    public static func error(id: JSONValue, _ fault: OdooFault) -> JSONValue {
        let (code, message): (Int64, String) =
            switch fault.kind {
            case .sessionExpired: (100, "Odoo Session Expired")
            case .badRequest: (400, fault.message)
            case .payloadTooLarge: (413, fault.message)
            default: (200, "Odoo Server Error")
            }
        return ["jsonrpc": "2.0", "id": id, "error": ["code": .int(code), "message": .string(message), "data": fault.data]]
    }

    public static func request(id: Int64, service: String, method: String, args: [JSONValue]) -> JSONValue {
        [
            "jsonrpc": "2.0", "method": "call", "id": .int(id),
            "params": ["service": .string(service), "method": .string(method), "args": .array(args)],
        ]
    }
}
