import SQLiteNIO
import Synchronization

/// SQLite's reader connections, each lent to one task at a time. SQLiteNIO runs every statement as
/// its own thread-pool item, so two tasks sharing a connection could run statements at once, and
/// the second would read inside the first one's read transaction: a snapshot older than what the
/// caller had already seen on another connection (`read` of ids its own `search` had just found
/// answered "Record does not exist" under webhook load). A connection is free again only when its
/// borrower is done, so its next statement starts a snapshot of its own.
final class SQLiteReaders: Sendable {
    private struct State {
        var free: [Int]
        var waiters: [CheckedContinuation<Int, Never>] = []
    }

    let connections: [SQLiteConnection]
    private let state: Mutex<State>

    init(_ connections: [SQLiteConnection]) {
        self.connections = connections
        self.state = Mutex(State(free: Array(connections.indices)))
    }

    /// Runs `body` with a connection no other task uses meanwhile; waits, in arrival order, for one.
    func with<T: Sendable>(_ body: @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        let index = await borrow()
        defer { giveBack(index) }
        return try await body(connections[index])
    }

    private func borrow() async -> Int {
        if let index = state.withLock({ $0.free.popLast() }) {
            return index
        }
        return await withCheckedContinuation { waiter in
            let index = state.withLock { s -> Int? in
                if let index = s.free.popLast() {
                    return index
                }
                s.waiters.append(waiter)
                return nil
            }
            if let index {
                waiter.resume(returning: index)
            }
        }
    }

    /// Hands the connection to the longest waiter, if any.
    private func giveBack(_ index: Int) {
        let waiter = state.withLock { s -> CheckedContinuation<Int, Never>? in
            if s.waiters.isEmpty {
                s.free.append(index)
                return nil
            }
            return s.waiters.removeFirst()
        }
        waiter?.resume(returning: index)
    }
}
