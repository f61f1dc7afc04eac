import Store
import Synchronization

/// Tells the idle workers of every sidecar on one PostgreSQL database that jobs became claimable:
/// a NOTIFY sent after the commit. A NOTIFY inside the committing transaction makes PostgreSQL take
/// one lock for every such commit and hold it until the commit is on disk, so concurrent writers
/// (the webhook gateway's group commits) wait for each other's flushes. NOTIFYs are at least
/// `spacing` apart, announcements in between sharing the next one: under a stream of commits that is
/// a few statements a second instead of one per commit, and no worker waits much longer. One that
/// fails is not retried: workers also poll.
final class Announcer: Sendable {
    private struct State {
        var sending = false
        var again = false
    }

    private let store: any Store
    private let spacing: Duration
    private let state = Mutex(State())

    init(store: any Store, spacing: Duration = .milliseconds(10)) {
        self.store = store
        self.spacing = spacing
    }

    func announce() {
        let start = state.withLock { s -> Bool in
            if s.sending {
                s.again = true
                return false
            }
            s.sending = true
            return true
        }
        if start { Task { await send() } }
    }

    private func send() async {
        repeat {
            state.withLock { $0.again = false }
            _ = try? await store.execute(SQL("SELECT pg_notify(?, '')", [.text(JobQueue.notifyChannel)]))
            try? await Task.sleep(for: spacing)
        } while state.withLock { s -> Bool in
            if s.again { return true }
            s.sending = false
            return false
        }
    }
}
