import Benchmark
import Core
import RPCModels
import Shared
import Store

/// An Odoo domain as the job list sends it, to a parameterised WHERE clause: `Domain.parse` and
/// `DomainCompiler.compile`. The JSON itself is read once, outside the measurement.
let benchmarks: @Sendable () -> Void = {
    // The search view's filters Pending and Failed (one group: `|`), "Created since yesterday", and the
    // search fields Kind and Instance typed in (the instance by name: a subquery on zoho.instance).
    let domain = try! JSONValue.parse(
        """
        ["&", "&", "&", "|", ["state", "=", "pending"], ["state", "=", "failed"],
         ["create_date", ">=", "2026-12-05 00:00:00"], ["kind", "ilike", "zoho.push"],
         ["instance_id", "ilike", "Acme"], ["priority", "<=", 10]]
        """
    )
    let registry = ModelRegistry()
    let compiler = DomainCompiler(model: registry.model("zoho.job")!, registry: registry, dialect: Dialect(engine: .sqlite))
    // Fails the run if the domain stops compiling to the clause it stands for.
    precondition(try! compiler.compile(Domain.parse(domain)).binds.count == 6)

    Benchmark("Domain to SQL: job list filter, 6 leaves", configuration: Suite.configuration()) { _ in
        blackHole(try! compiler.compile(Domain.parse(domain)))
    }
}
