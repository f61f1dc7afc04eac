import Core
import Synchronization
import Testing

@Suite("AsyncLock")
struct AsyncLockTests {
    final class Holders: Sendable {
        let count = Mutex((now: 0, most: 0, turns: 0))
    }

    @Test("one holder at a time under contention; every waiter gets its turn")
    func mutualExclusion() async throws {
        let lock = AsyncLock()
        let holders = Holders()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    await lock.withLock {
                        holders.count.withLock {
                            $0.now += 1
                            $0.most = max($0.most, $0.now)
                            $0.turns += 1
                        }
                        await Task.yield()
                        holders.count.withLock { $0.now -= 1 }
                    }
                }
            }
        }
        let seen = holders.count.withLock { $0 }
        #expect(seen.most == 1)
        #expect(seen.turns == 200)
        #expect(seen.now == 0)
    }

    @Test("a body that throws gives the lock back")
    func releasesOnThrow() async throws {
        struct Boom: Error {}
        let lock = AsyncLock()
        await #expect(throws: Boom.self) { try await lock.withLock { throw Boom() } }
        #expect(await lock.withLock { "taken again" } == "taken again")
    }
}
