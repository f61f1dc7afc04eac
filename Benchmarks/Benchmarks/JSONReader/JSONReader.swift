import Benchmark
import Core
import Shared

/// The JSON reader (`JSONValue.parse`) on what the sidecar reads most, and the canonical serialisation.
let benchmarks: @Sendable () -> Void = {
    let answer = Fixtures.searchReadAnswer()
    let notification = Fixtures.crmNotification
    // Fails the run, not the figures, if a fixture stops being JSON.
    let parsedAnswer = try! JSONValue.parse(answer)
    precondition(parsedAnswer["result"]?.arrayValue?.count == 80)
    precondition(try! JSONValue.parse(notification)["ids"]?.arrayValue?.count == 3)

    Benchmark("JSON parse: search_read answer, 80 partners", configuration: Suite.configuration()) { _ in
        blackHole(try! JSONValue.parse(answer))
    }

    Benchmark("JSON parse: CRM notification body", configuration: Suite.configuration()) { _ in
        blackHole(try! JSONValue.parse(notification))
    }

    Benchmark("JSON serialize: search_read answer, 80 partners", configuration: Suite.configuration()) { _ in
        blackHole(parsedAnswer.serializedBytes())
    }
}
