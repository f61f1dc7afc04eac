import Store
import Synchronization

/// Tells the idle workers of every sidecar on one PostgreSQL database that jobs became claimable:
/// a NOTIFY sent after the commit, never inside it. A NOTIFY inside the committing transaction
/// makes PostgreSQL take one lock for every such commit and hold it until the commit is on disk,
/// so concurrent writers (the webhook gateway's group commits) would wait for each other's flushes.
///
/// The NOTIFY's own transaction does not wait for its flush either (`synchronous_commit` off):
/// PostgreSQL signals the listeners only once the notifying commit returns, so a flushed NOTIFY
/// would add a second disk flush to every wake-up. A lost NOTIFY costs nothing: workers also poll.
///
/// A leading-edge throttle: an announcement after a quiet spell of `spacing` is sent at once; the
/// ones that follow within `spacing` of the last NOTIFY share the next one, sent when the spacing
/// ends. A steady 200 jobs/s therefore gets a NOTIFY each, at once, while a stream of group commits
/// costs at most one statement per `spacing`.
public final class Announcer: Sendable {
    /// Short enough that a job every few milliseconds gets a NOTIFY of its own, at once.
    public static let defaultSpacing = Duration.milliseconds(2)

    private struct State {
        var sending = false
        var again = false
        var lastSent: ContinuousClock.Instant?
    }

    private let store: any Store
    /// The NOTIFY, in a transaction of its own that does not wait for the disk.
    private let notify: SQL
    private let spacing: Duration
    private let state = Mutex(State())

    public init(store: any Store, spacing: Duration = defaultSpacing, channel: String = JobQueue.notifyChannel) {
        self.store = store
        self.spacing = spacing
        self.notify = SQL("SELECT set_config('synchronous_commit', 'off', true), pg_notify(?, '')", [.text(channel)])
    }

    public func announce() {
        let start = state.withLock { s -> Bool in
            if s.sending {
                s.again = true
                return false
            }
            s.sending = true
            return true
        }
        if start {
            Task { await send() }
        }
    }

    private func send() async {
        while true {
            let wait = state.withLock { s -> Duration in
                guard let last = s.lastSent else { return .zero }
                return last + spacing - ContinuousClock.now
            }
            if wait > .zero {
                try? await Task.sleep(for: wait)
            }
            // This NOTIFY covers every announcement made until now.
            state.withLock { s in
                s.again = false
                s.lastSent = ContinuousClock.now
            }
            _ = try? await store.execute(notify)
            let more = state.withLock { s -> Bool in
                if s.again {
                    return true
                }
                s.sending = false
                return false
            }
            if !more {
                return
            }
        }
    }
}
