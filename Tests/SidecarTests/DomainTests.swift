import Core
import OdooRPC
import Store
import Testing

@testable import RPCModels

@Suite("Odoo domains")
struct DomainTests {
    @Test("consecutive terms are joined by an implicit AND")
    func implicitAnd() throws {
        let d = try Domain.parse([["state", "=", "draft"], ["name", "ilike", "a"]])
        #expect(d == .and(.leaf(field: "state", op: "=", value: "draft"), .leaf(field: "name", op: "ilike", value: "a")))
    }

    @Test("prefix operators nest: | A ! B C")
    func nesting() throws {
        let d = try Domain.parse(["|", ["a", "=", 1], "!", ["b", "=", 2], ["c", "=", 3]])
        #expect(
            d == .and(.or(.leaf(field: "a", op: "=", value: 1), .not(.leaf(field: "b", op: "=", value: 2))), .leaf(field: "c", op: "=", value: 3))
        )
    }

    @Test(
        "malformed domains are ValueErrors",
        arguments: [
            JSONValue.string("nope"), ["|", ["a", "=", 1]], [["a", "=="]], [["a", "regexp", "x"]], [42], ["&"],
        ]
    )
    func malformed(domain: JSONValue) {
        #expect(throws: OdooFault.self) { try Domain.parse(domain) }
    }

    @Test("values are bound, never spliced into the SQL text")
    func parameterised() throws {
        let hostile = "x'; DROP TABLE instances; --"
        let model = SidecarModels.instance
        let sql = try DomainCompiler(model: model, registry: ModelRegistry(), dialect: Dialect(engine: .postgres))
            .compile(try Domain.parse(["|", ["name", "=", .string(hostile)], ["name", "ilike", .string(hostile)]]))
        #expect(!sql.text.contains("DROP"))
        #expect(sql.binds.contains(SQLValue.text(hostile)))
        #expect(sql.binds.contains(SQLValue.text("%\(hostile)%")))
    }

    @Test("unknown fields name the field and the leaf")
    func unknownField() throws {
        let compiler = DomainCompiler(model: SidecarModels.instance, registry: ModelRegistry(), dialect: Dialect(engine: .sqlite))
        #expect {
            try compiler.compile(try Domain.parse([["nofield", "=", 1]]))
        } throws: { ($0 as? OdooFault)?.message.contains("zoho.instance.nofield") == true }
    }

    @Test("a hostile depth of nesting is refused, not a stack overflow")
    func deepNesting() {
        let deep = JSONValue.array(Array(repeating: "!", count: 5000) + [["a", "=", 1]])
        #expect(throws: OdooFault.self) { try Domain.parse(deep) }
    }
}
