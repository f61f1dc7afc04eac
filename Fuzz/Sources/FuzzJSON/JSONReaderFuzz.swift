import Core
import FuzzCheck

/// The JSON reader (`JSONValue.parse`), which reads every request body, job payload and Zoho answer.
/// Properties: it either returns a value or throws a `JSONParseError` pointing inside the input; a
/// value it returns serializes to JSON that it reads back as the same value, and that serialization
/// is a fixed point (serializing the re-read value gives the same bytes).
@main
enum JSONReaderFuzz {
    static func main() { runLibFuzzer(fuzzJSONReader) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONReader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let value: JSONValue
    do {
        value = try JSONValue.parse(input)
    } catch let error as JSONParseError {
        expect((0...size).contains(error.offset), "error offset \(error.offset) outside an input of \(size) bytes")
        return 0
    } catch {
        fatalError("not a JSONParseError: \(type(of: error))")
    }
    let written = value.serializedBytes()
    guard let reread = try? JSONValue.parse(written) else {
        fatalError("its own serialization does not parse: \(String(decoding: written, as: UTF8.self).prefix(200))")
    }
    expect(reread == value, "re-read as a different value: \(String(decoding: written, as: UTF8.self).prefix(200))")
    expect(reread.serializedBytes() == written, "serialization is not a fixed point")
    return 0
}
