import Core
import FuzzCheck
import LeakChecks
import OdooRPC
import RPCModels
import Store

/// Odoo domains, as `search`, `search_read`, `read_group` and friends take them, down to the SQL
/// they become on every model, for both engines. Properties: a domain is parsed or refused with
/// Odoo's ValueError, compiled or refused with Odoo's ValueError, and the error says nothing of the
/// store or of Swift that the caller did not write; the SQL it compiles to is the compiler's own
/// keywords around the models' own columns, with every value from the domain a bound parameter.

private let registry = ModelRegistry()
private let dialects = [Dialect(engine: .sqlite), Dialect(engine: .postgres)]

/// The words the SQL text may hold: what DomainCompiler and Dialect write, and the words of the
/// models' own SQL (tables, columns, display-name expressions).
private let vocabulary: Set<Substring> = {
    let keywords = "AND OR NOT IN IS NULL LIKE ILIKE lower CAST AS TEXT SELECT id FROM WHERE 1 0"
    let modelSQL = registry.models.values.flatMap { model in [model.table, model.displayName] + model.fields.map(\.column) }
    return Set(([keywords] + modelSQL).flatMap(words))
}()

private func words(_ text: String) -> [Substring] {
    text.split { !($0.isLetter || $0.isNumber || $0 == "_") }
}

@main
enum DomainToSQLFuzz {
    static func main() { runLibFuzzer(fuzzDomainToSQL) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDomainToSQL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    // What a JSON-RPC body would carry: JSON when it is JSON, else the text as one string.
    let value = (try? JSONValue.parse(input)) ?? .string(String(decoding: input, as: UTF8.self))
    let written = value.serialized()
    let domain: Domain
    do {
        domain = try Domain.parse(value)
    } catch {
        expectValueError(error, written)
        return 0
    }
    for model in registry.models.values.sorted(by: { $0.name < $1.name }) {
        for dialect in dialects {
            do {
                let sql = try DomainCompiler(model: model, registry: registry, dialect: dialect).compile(domain)
                let unknown = words(sql.text).filter { !vocabulary.contains($0) }
                expect(unknown.isEmpty, "\(model.name): words \(unknown.prefix(3)) in \(sql.text.prefix(300))")
                let placeholders = sql.text.filter { $0 == "?" }.count
                expect(placeholders == sql.binds.count, "\(model.name): \(placeholders) placeholders, \(sql.binds.count) values")
                // The models' string literals come in pairs of quotes; a spliced value would break one.
                expect(sql.text.filter { $0 == "'" }.count % 2 == 0, "\(model.name): unbalanced quotes in \(sql.text.prefix(300))")
            } catch {
                expectValueError(error, written)
            }
        }
    }
    return 0
}

/// Refusals are Odoo's ValueError, in words: nothing of the store or of Swift the caller did not write.
private func expectValueError(_ error: any Error, _ written: String) {
    guard let fault = error as? OdooFault else {
        fatalError("not an OdooFault: \(type(of: error))")
    }
    expect(fault.kind == .valueError, "\(fault.kind): \(fault.message)")
    expect(!Leaks.looksLikeStoreError(fault.message) || Leaks.looksLikeStoreError(written), "store error: \(fault.message)")
    expect(!Leaks.looksLikeInternals(fault.message) || Leaks.looksLikeInternals(written), "internals: \(fault.message)")
}
