import Synchronization

/// A fair async mutex: waiters resume in arrival order. Used where one resource (SQLite's single
/// writer connection) must serve one task at a time without blocking a thread. Taking a free lock
/// does not suspend: the task stays on its thread (an actor would cost two hand-offs per use).
public final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    public func lock() async {
        if take(orQueue: nil) { return }
        await withCheckedContinuation { waiter in
            if take(orQueue: waiter) { waiter.resume() }
        }
    }

    /// Takes the lock if it is free; otherwise queues the waiter, if given.
    private func take(orQueue waiter: CheckedContinuation<Void, Never>?) -> Bool {
        state.withLock { s in
            if !s.locked {
                s.locked = true
                return true
            }
            if let waiter { s.waiters.append(waiter) }
            return false
        }
    }

    /// Hands the lock to the longest waiter, if any, so a newcomer cannot take it first.
    public func unlock() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.locked = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }

    public func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await lock()
        defer { unlock() }
        return try await body()
    }
}
