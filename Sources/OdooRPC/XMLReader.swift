import CLibXML2

/// Reads the XML an XML-RPC request is made of with libxml2, the parser Foundation's XMLParser
/// wraps, called directly: XMLParser on Linux (found by libFuzzer) leaks about 300 bytes for every
/// malformed document and reports some malformed ones as parsed, with what follows the error missing.
///
/// Refused, as XML-RPC never needs them: a DTD (stopped at `<!DOCTYPE`, before any entity is declared,
/// so nothing can expand or be fetched), processing instructions, a declared encoding other than UTF-8,
/// anything not well-formed. Attributes are read and ignored; CDATA is text.
enum XMLReader {
    /// The document's root element; the input must be valid UTF-8.
    static func parse(_ bytes: [UInt8]) throws -> XMLRPC.Element {
        _ = initialized
        guard let context = xmlNewParserCtxt() else {
            throw OdooFault(.serverError, "The sidecar is out of memory reading an XML-RPC request.")
        }
        defer { xmlFreeParserCtxt(context) }
        context.pointee.sax.pointee.internalSubset = { parser, _, _, _ in stopParser(parser, XMLReader.Refusal.declaresDTD.rawValue) }
        context.pointee.sax.pointee.processingInstruction = { parser, _, _ in stopParser(parser, XMLReader.Refusal.hasInstruction.rawValue) }
        let document = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                xmlCtxtReadMemory(context, chars.baseAddress, Int32(chars.count), nil, nil, options)
            }
        }
        defer { xmlFreeDoc(document) }
        if let refusal = Refusal(rawValue: Int(bitPattern: context.pointee._private)) {
            throw OdooFault(.badRequest, refusal.message)
        }
        guard let document, let root = xmlDocGetRootElement(document) else {
            throw OdooFault(.badRequest, "The XML-RPC request is not well-formed XML (line \(context.pointee.lastError.line)).")
        }
        if let declared = document.pointee.encoding.map({ String(cString: $0).uppercased() }), !["UTF-8", "US-ASCII"].contains(declared) {
            throw OdooFault(.badRequest, "XML-RPC requests must be encoded in UTF-8.")
        }
        var count = 0
        return try element(root, depth: 1, count: &count)
    }

    /// No network, no messages on standard error (the fault says what is wrong), CDATA merged into text.
    private static let options = Int32(
        XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_NOCDATA.rawValue
    )

    /// libxml2 sets up its global tables once, before threads parse at the same time.
    private static let initialized: Void = xmlInitParser()

    fileprivate enum Refusal: Int {
        case declaresDTD = 1
        case hasInstruction = 2

        var message: String {
            switch self {
            case .declaresDTD: "XML-RPC requests may not contain a DTD or entity declarations."
            case .hasInstruction: "XML-RPC requests may not contain processing instructions."
            }
        }
    }

    private static func element(_ node: xmlNodePtr, depth: Int, count: inout Int) throws -> XMLRPC.Element {
        count += 1
        guard depth <= XMLRPC.maximumDepth, count <= XMLRPC.maximumElements else {
            throw OdooFault(
                .badRequest,
                "The XML-RPC request nests deeper than \(XMLRPC.maximumDepth) or holds more than \(XMLRPC.maximumElements) elements."
            )
        }
        let element = XMLRPC.Element(String(cString: node.pointee.name))
        var child = node.pointee.children
        while let current = child {
            switch current.pointee.type {
            case XML_ELEMENT_NODE:
                element.children.append(try self.element(current, depth: depth + 1, count: &count))
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                element.text += current.pointee.content.map { String(cString: $0) } ?? ""
            default:
                break  // comments
            }
            child = current.pointee.next
        }
        return element
    }
}

/// Stops the parser from a SAX callback, keeping why in the context's private slot. A free function,
/// as a C callback cannot capture a type's context.
private func stopParser(_ parser: UnsafeMutableRawPointer?, _ refusal: Int) {
    guard let context = parser?.assumingMemoryBound(to: xmlParserCtxt.self) else { return }
    context.pointee._private = UnsafeMutableRawPointer(bitPattern: refusal)
    xmlStopParser(context)
}
