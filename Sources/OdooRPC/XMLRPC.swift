import Core
import Foundation

/// Odoo's XML-RPC (`/xmlrpc/2/<service>`, and `/xmlrpc/<service>` with string fault codes), the
/// protocol of Odoo's External API documentation and Python's `xmlrpc.client`. Requests are read
/// with libxml2 (`XMLReader`), refusing what XML-RPC never needs: a DTD (so no entity can
/// expand), processing instructions, nesting deeper than `maximumDepth`, more than
/// `maximumElements` elements.
public enum XMLRPC {
    public static let maximumDepth = 64
    public static let maximumElements = 200_000

    /// A `<methodCall>`: the method's name and its parameters.
    public struct Call: Sendable, Equatable {
        public let method: String
        public let params: [JSONValue]
    }

    /// Reads a `<methodCall>`; a malformed or hostile one is an Odoo fault saying what is wrong.
    public static func parseCall(_ data: Data) throws -> Call {
        guard String(validating: data, as: UTF8.self) != nil else {
            throw OdooFault(.badRequest, "The XML-RPC request is not valid UTF-8.")
        }
        let tree = try XMLReader.parse(Array(data))
        guard tree.name == "methodCall" else {
            throw OdooFault(.badRequest, "An XML-RPC request must be a <methodCall>, not <\(tree.name)>.")
        }
        guard let name = tree.child("methodName")?.text.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty else {
            throw OdooFault(.badRequest, "The XML-RPC <methodCall> names no <methodName>.")
        }
        let params = try (tree.child("params")?.children ?? []).map { param -> JSONValue in
            guard param.name == "param", let value = param.child("value") else {
                throw OdooFault(.badRequest, "Each XML-RPC <param> holds one <value>.")
            }
            return try decode(value)
        }
        return Call(method: name, params: params)
    }

    /// A `<methodResponse>` with one value, as Odoo writes it.
    public static func response(_ value: JSONValue) -> String {
        var out = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"
        encode(value, into: &out)
        out += "</param>\n</params>\n</methodResponse>\n"
        return out
    }

    /// A `<fault>`, as Odoo 17 writes it: on `/xmlrpc/2` an integer code (1 application error,
    /// 2 warning, 3 access denied, 4 access error) and the message; on the older `/xmlrpc` a
    /// string code naming the kind. Python's `xmlrpc.client` raises it as `xmlrpc.client.Fault`.
    public static func fault(_ fault: OdooFault, stringCodes: Bool = false) -> String {
        let code: JSONValue
        let text: String
        if stringCodes {
            (code, text) = stringFault(fault)
        } else {
            (code, text) = (.int(Int64(integerCode(fault.kind))), faultString(fault))
        }
        var out = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n"
        encode(["faultCode": code, "faultString": .string(text)], into: &out)
        out += "</fault>\n</methodResponse>\n"
        return out
    }

    static func integerCode(_ kind: OdooFault.Kind) -> Int {
        switch kind {
        case .accessDenied, .sessionExpired: return 3
        case .accessError: return 4
        case .userError, .validationError, .missingError: return 2
        default: return 1
        }
    }

    /// Odoo sends a user error's message as it is, and any other error as a traceback whose last
    /// line is `<exception>: <message>`; the sidecar sends that last line alone.
    static func faultString(_ fault: OdooFault) -> String {
        switch fault.kind {
        case .accessDenied, .sessionExpired, .accessError, .userError, .validationError, .missingError:
            return fault.message
        default:
            return "\(pythonName(fault.kind)): \(fault.message)"
        }
    }

    static func stringFault(_ fault: OdooFault) -> (JSONValue, String) {
        switch fault.kind {
        case .accessDenied, .sessionExpired: return ("AccessDenied", fault.message)
        case .missingError: return (.string("warning -- MissingError\n\n\(fault.message)"), "")
        case .accessError: return (.string("warning -- AccessError\n\n\(fault.message)"), "")
        case .userError, .validationError: return (.string("warning -- UserError\n\n\(fault.message)"), "")
        default: return (.string(fault.message), "\(pythonName(fault.kind)): \(fault.message)")
        }
    }

    /// `builtins.ValueError` → `ValueError`, as Python prints it.
    static func pythonName(_ kind: OdooFault.Kind) -> String {
        kind.rawValue.hasPrefix("builtins.") ? String(kind.rawValue.dropFirst("builtins.".count)) : kind.rawValue
    }

    // MARK: values

    static func decode(_ value: Element) throws -> JSONValue {
        guard let typed = value.children.first else {
            return .string(value.text)  // a bare <value>text</value> is a string
        }
        let text = typed.text
        switch typed.name {
        case "int", "i4", "i8":
            guard let n = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw OdooFault(.badRequest, "<\(typed.name)> holds \"\(text.prefix(40))\", which is not an integer.")
            }
            return .int(n)
        case "boolean":
            switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
            case "1": return true
            case "0": return false
            default: throw OdooFault(.badRequest, "<boolean> holds \"\(text.prefix(40))\"; XML-RPC booleans are 0 or 1.")
            }
        case "double":
            guard let d = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), d.isFinite else {
                throw OdooFault(.badRequest, "<double> holds \"\(text.prefix(40))\", which is not a number.")
            }
            return .double(d)
        case "string", "base64":
            return .string(text)
        case "dateTime.iso8601":
            return .string(try odooDatetime(text))
        case "nil":
            return .null
        case "array":
            guard let data = typed.child("data") else {
                throw OdooFault(.badRequest, "An XML-RPC <array> holds its values in <data>.")
            }
            return .array(try data.children.map { try decode($0) })
        case "struct":
            var object: [String: JSONValue] = [:]
            for member in typed.children {
                guard let name = member.child("name")?.text, let value = member.child("value") else {
                    throw OdooFault(.badRequest, "Each XML-RPC <member> holds a <name> and a <value>.")
                }
                object[name] = try decode(value)
            }
            return .object(object)
        default:
            throw OdooFault(.badRequest, "<\(typed.name)> is not an XML-RPC value type.")
        }
    }

    /// `20240612T10:15:00` (what `xmlrpc.client` sends for a datetime) → Odoo's `2024-06-12 10:15:00`.
    static func odooDatetime(_ text: String) throws -> String {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "-", with: "")
        let digits = t.filter(\.isNumber)
        guard digits.count == 14, t.count == 17, t[t.index(t.startIndex, offsetBy: 8)] == "T" else {
            throw OdooFault(.badRequest, "<dateTime.iso8601> holds \"\(text.prefix(40))\"; expected YYYYMMDDTHH:MM:SS.")
        }
        let d = Array(digits)
        return "\(String(d[0..<4]))-\(String(d[4..<6]))-\(String(d[6..<8])) \(String(d[8..<10])):\(String(d[10..<12])):\(String(d[12..<14]))"
    }

    /// One `<value>`, as `response` writes it.
    public static func encode(_ value: JSONValue, into out: inout String) {
        out += "<value>"
        switch value {
        case .null:
            out += "<nil/>"
        case .bool(let b):
            out += "<boolean>\(b ? 1 : 0)</boolean>"
        case .int(let i):
            // xmlrpc.client reads <i8>; Odoo itself cannot send integers past 32 bits.
            out += Int32(exactly: i) != nil ? "<int>\(i)</int>" : "<i8>\(i)</i8>"
        case .double(let d):
            out += "<double>\(d)</double>"
        case .string(let s):
            out += "<string>\(escape(s))</string>"
        case .array(let values):
            out += "<array><data>\n"
            for v in values { encode(v, into: &out) }
            out += "</data></array>"
        case .object(let members):
            out += "<struct>\n"
            for key in members.keys.sorted() {
                out += "<member>\n<name>\(escape(key))</name>\n"
                encode(members[key]!, into: &out)
                out += "</member>\n"
            }
            out += "</struct>"
        }
        out += "</value>\n"
    }

    /// XML text: `&`, `<` and `>` escaped, and the control characters XML 1.0 forbids dropped, as Odoo
    /// does; a carriage return as `&#13;`, which every XML reader turns back into one, where a raw one
    /// would reach the client as a line feed (found by libFuzzer).
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\r": out += "&#13;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    // MARK: the document

    /// An element with its text and children: XML-RPC has no attributes and no mixed content.
    final class Element {
        let name: String
        var children: [Element] = []
        var text = ""

        init(_ name: String) { self.name = name }

        func child(_ name: String) -> Element? { children.first { $0.name == name } }
    }
}
