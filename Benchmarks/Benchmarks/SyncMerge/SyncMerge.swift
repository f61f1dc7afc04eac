import Benchmark
import Core
import Shared
import Sync

/// The sync's three-way merge (`Reconciler.decide`): what to write to each side of a bound pair, from
/// both records and the values they last agreed on. Pure: no store, no HTTP.
let benchmarks: @Sendable () -> Void = {
    let mapping = BuiltinMappings.named("crm_contacts")!
    let pairs = Pair.batch(100)
    // Fails the run if the fixture stops exercising a merge that writes to both sides. The contacts'
    // values (text, names) always convert, so `decide` cannot throw here.
    let first = try! Reconciler.decide(mapping, odoo: pairs[0].odoo, zoho: pairs[0].zoho, binding: pairs[0].binding, lookups: Pair.lookups)
    precondition(first.odoo.keys.sorted() == ["email", "function", "mobile"], "\(first.odoo)")
    precondition(first.zoho.keys.sorted() == ["Mailing_City", "Phone"], "\(first.zoho)")

    // One pair per iteration, in turn: short iterations, so that some run without being preempted.
    Benchmark("Sync merge: a contact edited on both sides", configuration: Suite.configuration()) { benchmark in
        let pair = pairs[benchmark.currentIteration % pairs.count]
        blackHole(try! Reconciler.decide(mapping, odoo: pair.odoo, zoho: pair.zoho, binding: pair.binding, lookups: Pair.lookups))
    }
}
