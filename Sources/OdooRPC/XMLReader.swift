/// A strict reader for the XML that XML-RPC requests are made of: elements, character data, the five
/// predefined entities, character references, CDATA sections, comments and the XML declaration.
/// Attributes are read and ignored (XML-RPC has none). A DTD, processing instructions and anything
/// that is not well-formed XML are refused.
///
/// It replaces Foundation's XMLParser, which on Linux (found by libFuzzer) leaks about 300 bytes
/// for every malformed document and reports some malformed ones as parsed, with what follows the
/// error missing; FuzzTests' mutation fuzzer had already found two inputs on which it ended the process.
struct XMLReader {
    private let bytes: [UInt8]
    private var i = 0
    private var elements = 0

    /// The document's root element; the input must be valid UTF-8.
    static func parse(_ bytes: [UInt8]) throws -> XMLRPC.Element {
        var reader = XMLReader(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.i = 3 }
        try reader.declaration()
        try reader.misc()
        guard reader.peek("<") else { throw reader.malformed() }
        let root = try reader.element(depth: 1)
        try reader.misc()
        guard reader.i == bytes.count else { throw reader.malformed() }
        return root
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    // MARK: around the root

    /// `<?xml version="1.0" encoding="UTF-8"?>`, if present: only UTF-8 (or its subset US-ASCII) is read.
    private mutating func declaration() throws {
        guard peek("<?xml"), i + 5 < bytes.count, isSpace(bytes[i + 5]) else { return }
        i += 5
        while true {
            skipSpace()
            if peek("?>") {
                i += 2
                return
            }
            let name = try self.name()
            try equals()
            let value = try quoted()
            if name == "encoding", !["UTF-8", "US-ASCII"].contains(value.uppercased()) {
                throw OdooFault(.badRequest, "XML-RPC requests must be encoded in UTF-8.")
            }
        }
    }

    /// Space and comments; a DTD or a processing instruction is refused.
    private mutating func misc() throws {
        while true {
            skipSpace()
            if peek("<!--") {
                try comment()
            } else if peek("<!DOCTYPE") || peek("<!ENTITY") {
                throw OdooFault(.badRequest, "XML-RPC requests may not contain a DTD or entity declarations.")
            } else if peek("<?") {
                throw OdooFault(.badRequest, "XML-RPC requests may not contain processing instructions.")
            } else {
                return
            }
        }
    }

    // MARK: elements

    private mutating func element(depth: Int) throws -> XMLRPC.Element {
        elements += 1
        guard depth <= XMLRPC.maximumDepth, elements <= XMLRPC.maximumElements else {
            throw OdooFault(
                .badRequest,
                "The XML-RPC request nests deeper than \(XMLRPC.maximumDepth) or holds more than \(XMLRPC.maximumElements) elements."
            )
        }
        i += 1
        let element = XMLRPC.Element(try name())
        try attributes()
        if peek("/>") {
            i += 2
            return element
        }
        try expect(">")
        var text: [UInt8] = []
        while true {
            guard i < bytes.count else { throw malformed() }
            if peek("</") {
                i += 2
                guard try name() == element.name else { throw malformed() }
                skipSpace()
                try expect(">")
                element.text = String(decoding: text, as: UTF8.self)
                return element
            } else if peek("<!--") {
                try comment()
            } else if peek("<![CDATA[") {
                i += 9
                let end = try find("]]>")
                try appendCharacters(i..<end, to: &text)
                i = end + 3
            } else if peek("<?") {
                throw OdooFault(.badRequest, "XML-RPC requests may not contain processing instructions.")
            } else if peek("<") {
                element.children.append(try self.element(depth: depth + 1))
            } else if peek("&") {
                try reference(into: &text)
            } else {
                let start = i
                while i < bytes.count, bytes[i] != UInt8(ascii: "<"), bytes[i] != UInt8(ascii: "&") { i += 1 }
                // `]]>` may only close a CDATA section.
                if bytes[start..<i].firstRange(of: Array("]]>".utf8)) != nil { throw malformed() }
                try appendCharacters(start..<i, to: &text)
            }
        }
    }

    /// Attributes are well-formed XML but no part of XML-RPC: read, checked, ignored.
    private mutating func attributes() throws {
        var seen: Set<String> = []
        while i < bytes.count, isSpace(bytes[i]) {
            skipSpace()
            if peek(">") || peek("/>") { return }
            let name = try self.name()
            guard seen.insert(name).inserted else { throw malformed() }
            try equals()
            _ = try quoted()
        }
    }

    private mutating func comment() throws {
        i += 4
        let end = try find("--")
        guard end + 2 < bytes.count, bytes[end + 2] == UInt8(ascii: ">") else { throw malformed() }
        try checkCharacters(i..<end)
        i = end + 3
    }

    // MARK: characters

    /// `&lt;` and the other four, or a character reference `&#…;` naming a character XML allows.
    private mutating func reference(into text: inout [UInt8]) throws {
        let end = try find(";")
        let body = bytes[(i + 1)..<end]
        let predefined: [String: UInt8] = ["lt": 0x3C, "gt": 0x3E, "amp": 0x26, "apos": 0x27, "quot": 0x22]
        if let byte = predefined[String(decoding: body, as: UTF8.self)] {
            text.append(byte)
        } else if body.first == UInt8(ascii: "#") {
            let hex = body.dropFirst().first == UInt8(ascii: "x")
            let digits = String(decoding: body.dropFirst(hex ? 2 : 1), as: UTF8.self)
            guard digits.allSatisfy({ $0.isASCII && (hex ? $0.isHexDigit : $0.isNumber) }), let code = UInt32(digits, radix: hex ? 16 : 10),
                let scalar = Unicode.Scalar(code), Self.isXMLCharacter(scalar)
            else { throw malformed() }
            text.append(contentsOf: String(scalar).utf8)
        } else {
            throw malformed()  // no DTD, so no other entity exists
        }
        i = end + 1
    }

    /// Character data as XML hands it on: line ends normalised to `\n`.
    private func appendCharacters(_ range: Range<Int>, to text: inout [UInt8]) throws {
        try checkCharacters(range)
        var k = range.lowerBound
        while k < range.upperBound {
            if bytes[k] == 0x0D {
                text.append(0x0A)
                if k + 1 < range.upperBound, bytes[k + 1] == 0x0A { k += 1 }
            } else {
                text.append(bytes[k])
            }
            k += 1
        }
    }

    /// Only the characters XML allows: no control characters but tab and line ends, no U+FFFE or U+FFFF.
    private func checkCharacters(_ range: Range<Int>) throws {
        for k in range {
            let b = bytes[k]
            if b < 0x20, b != 0x09, b != 0x0A, b != 0x0D { throw malformed(at: k) }
            if b == 0xEF, k + 2 < bytes.count, bytes[k + 1] == 0xBF, bytes[k + 2] >= 0xBE { throw malformed(at: k) }
        }
    }

    static func isXMLCharacter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09, 0x0A, 0x0D, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    // MARK: tokens

    /// An XML name, simplified: ASCII letters, `_`, `:` and any non-ASCII character may start it;
    /// digits, `-` and `.` may follow.
    private mutating func name() throws -> String {
        let start = i
        while i < bytes.count {
            let b = bytes[i]
            let starts =
                (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") || b == UInt8(ascii: "_") || b == UInt8(ascii: ":") || b >= 0x80
            let follows = b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
            guard starts || (follows && i > start) else { break }
            i += 1
        }
        guard i > start else { throw malformed() }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private mutating func equals() throws {
        skipSpace()
        try expect("=")
        skipSpace()
    }

    /// A quoted value, its references resolved; `<` may not appear in it.
    private mutating func quoted() throws -> String {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else { throw malformed() }
        let quote = bytes[i]
        i += 1
        var value: [UInt8] = []
        while i < bytes.count, bytes[i] != quote {
            if bytes[i] == UInt8(ascii: "&") {
                try reference(into: &value)
            } else {
                guard bytes[i] != UInt8(ascii: "<") else { throw malformed() }
                try checkCharacters(i..<(i + 1))
                value.append(bytes[i])
                i += 1
            }
        }
        try expect(String(decoding: [quote], as: UTF8.self))
        return String(decoding: value, as: UTF8.self)
    }

    private mutating func expect(_ token: String) throws {
        guard peek(token) else { throw malformed() }
        i += token.utf8.count
    }

    private func peek(_ token: String) -> Bool {
        bytes[i...].starts(with: token.utf8)
    }

    /// Where `token` next starts, from the current position.
    private func find(_ token: String) throws -> Int {
        guard let range = bytes[i...].firstRange(of: Array(token.utf8)) else { throw malformed() }
        return range.lowerBound
    }

    private mutating func skipSpace() {
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
    }

    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    private func malformed(at position: Int? = nil) -> OdooFault {
        let line = bytes[..<min(position ?? i, bytes.count)].count { $0 == 0x0A } + 1
        return OdooFault(.badRequest, "The XML-RPC request is not well-formed XML (line \(line)).")
    }
}
