import Core
import Foundation
import OdooRPC
import Testing

/// The XML-RPC request reader on its own; tests/python/test_xmlrpc.py drives the endpoints with
/// Python's xmlrpc.client.
@Suite("XML-RPC reader")
struct XMLRPCTests {
    @Test(
        "found by libFuzzer: a request that is not well-formed XML is refused, where Foundation's XMLParser on Linux read it as a call",
        arguments: [
            // libFuzzer's find, minimized: XMLParser read it as the call e("").
            "<methodCall<methodName>e<params<param<value",
            "<methodCall><methodName>version</methodName><params><param><value><string>x</value></param></params></methodCall>",
            "<methodCall><methodName>version</methodName><params><param><value>x</value></param></params>",
            "<methodCall><methodName>version</methodName><params/></methodCall>trailing",
        ]
    )
    func refusesMalformed(body: String) {
        #expect(throws: OdooFault.self) { try XMLRPC.parseCall(Data(body.utf8)) }
    }

    @Test("found by libFuzzer: a carriage return in a string survives the sidecar's writer and reader")
    func carriageReturn() throws {
        var body = "<methodCall><methodName>m</methodName><params><param>"
        XMLRPC.encode("a\r\nb\rc", into: &body)
        body += "</param></params></methodCall>"
        #expect(try XMLRPC.parseCall(Data(body.utf8)).params == ["a\r\nb\rc"])
    }

    @Test("what XML allows in a request reads as XML says: a BOM, comments, CDATA, references, attributes (ignored)")
    func wellFormedVariants() throws {
        let body = """
            \u{FEFF}<?xml version="1.0" encoding="utf-8"?>
            <!-- a client's comment -->
            <methodCall><methodName> version </methodName>
            <params>
            <param><value><string><![CDATA[a<b & c]]></string></value></param>
            <param kind="ignored"><value>&lt;&#233;&#x1F600;&amp;&quot;&apos;&gt;</value></param>
            <param><value><i4>7</i4></value><!-- trailing --></param>
            </params></methodCall>
            """
        let call = try XMLRPC.parseCall(Data(body.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        #expect(call.method == "version")
        #expect(call.params == ["a<b & c", "<é😀&\"'>", 7])
    }
}
