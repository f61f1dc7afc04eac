import Core
import Crypto
import Foundation
import Synchronization

/// The web sessions of Odoo's session clients (`/web/session/authenticate`, then calls carrying
/// the `session_id` cookie): random ids, kept in this process only, ending after `idleLifetime`
/// without use or at `destroy`. A session remembers the API key it was opened with, so revoking
/// the key ends it. Sessions do not survive a restart; such clients log in again, as after Odoo's
/// own session expiry.
public final class WebSessions: Sendable {
    public struct Session: Sendable {
        public let uid: Int64
        public let login: String
        var lastUsed: ContinuousClock.Instant
    }

    public static let cookie = "session_id"
    /// Odoo's own web sessions last a week without use.
    public static let idleLifetime = Duration.seconds(7 * 24 * 3600)
    static let maximumSessions = 10_000

    private let sessions = Mutex<[String: Session]>([:])

    public init() {}

    /// Opens a session for a verified key; returns its id.
    public func open(uid: Int64, login: String) -> String {
        let id = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let now = ContinuousClock.now
        sessions.withLock { all in
            all = all.filter { now - $0.value.lastUsed < Self.idleLifetime }
            if all.count >= Self.maximumSessions, let oldest = all.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
                all[oldest] = nil
            }
            all[id] = Session(uid: uid, login: login, lastUsed: now)
        }
        return id
    }

    /// The live session with this id, its use noted; nil when there is none or it expired.
    public func use(_ id: String?) -> Session? {
        guard let id else { return nil }
        let now = ContinuousClock.now
        return sessions.withLock { all in
            guard var session = all[id] else { return nil }
            guard now - session.lastUsed < Self.idleLifetime else {
                all[id] = nil
                return nil
            }
            session.lastUsed = now
            all[id] = session
            return session
        }
    }

    public func destroy(_ id: String?) {
        guard let id else { return }
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }
}
