import Core
import Foundation
import Testing

@Suite("JSON reader and writer")
struct JSONTests {
    @Test(
        "documents parse into the values they spell",
        arguments: [
            (
                #"{"a":[1,-2,3.5,1e3,true,false,null],"b":{"c":"d"}}"#,
                JSONValue.object(["a": [1, -2, 3.5, 1000.0, true, false, nil], "b": ["c": "d"]])
            ),
            (#""esc \" \\ \/ \n \t \u00e9 \ud83d\ude00""#, JSONValue.string("esc \" \\ / \n \t é 😀")),
            ("  [ ]  ", JSONValue.array([])),
            ("9223372036854775807", JSONValue.int(Int64.max)),
            ("92233720368547758070", JSONValue.double(92_233_720_368_547_758_070)),
        ]
    )
    func parses(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(text) == expected)
    }

    @Test(
        "malformed input is an error with an offset, never a crash",
        arguments: [
            "", "{", "[1,]", "{\"a\" 1}", "tru", "01", "1.", "-", "\"unterminated", "\"bad \\x escape\"", "[1] 2", "\"\u{01}\"", "{1:2}",
            String(repeating: "[", count: 100_000),
        ]
    )
    func rejects(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test(
        "found by libFuzzer: a number past a Double's range is an error, not an infinity that the writer writes as null",
        arguments: ["1e309", "-1e309", "[-1e92233720368]", #"{"a":1E400}"#]
    )
    func rejectsOutOfRange(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test("what the writer writes, the reader reads back")
    func roundTrip() throws {
        let value: JSONValue = ["s": "quote \" backslash \\ newline \n tab \t nul \u{0} é", "n": -42, "d": 0.25, "l": [true, nil, ["x": []]]]
        #expect(try JSONValue.parse(value.serialized()) == value)
        #expect(value.serialized() == JSONValue.object(value.objectValue!).serialized(), "keys are written sorted, so equal values give equal bytes")
    }
}
