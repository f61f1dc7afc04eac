import Foundation
import Queue
import Store
import Synchronization
import Testing

/// The NOTIFYs that wake other sidecars' workers on PostgreSQL.
@Suite("Announcer")
struct AnnouncerTests {
    /// The times at which a channel's NOTIFYs arrived.
    final class Heard: Sendable {
        let times = Mutex<[ContinuousClock.Instant]>([])
        func add() { times.withLock { $0.append(.now) } }
        var count: Int { times.withLock { $0.count } }
        subscript(_ i: Int) -> ContinuousClock.Instant { times.withLock { $0[i] } }
    }

    @Test(
        "a wake-up after a quiet spell is sent at once; those within the spacing share one NOTIFY, sent when the spacing ends"
    )
    func leadingEdge() async throws {
        guard TestStores.engines.contains(.postgres) else { return }
        try await TestStores.withStore(.postgres) { store in
            let pg = try #require(store as? PostgresStore)
            // A channel of this test's own: channels are database-wide, and other tests notify too.
            let channel = "zs_announcer_" + UUID().uuidString.prefix(8).lowercased()
            let heard = Heard()
            let listening = Task { await pg.listenForever(channel: channel) { heard.add() } }
            defer { listening.cancel() }
            // listenForever reports once as it starts listening, for anything sent before.
            try await eventually("listening") { heard.count == 1 }

            let announcer = Announcer(store: store, spacing: .seconds(3), channel: channel)
            let start = ContinuousClock.now
            announcer.announce()
            try await eventually("the first NOTIFY, at once", timeout: .seconds(2)) { heard.count == 2 }

            announcer.announce()
            announcer.announce()
            announcer.announce()
            try await Task.sleep(for: .milliseconds(300))
            #expect(heard.count == 2, "within the spacing, announcements wait for the next NOTIFY")
            try await eventually("the shared NOTIFY", timeout: .seconds(10)) { heard.count == 3 }
            #expect(heard[2] - start >= .seconds(3))
            try await Task.sleep(for: .milliseconds(500))
            #expect(heard.count == 3, "three announcements, one NOTIFY")
        }
    }
}
