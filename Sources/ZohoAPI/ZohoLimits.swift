import Queue

/// The limits the sidecar keeps for Zoho's APIs, per organisation and app, a little under Zoho's own
/// so that the organisation's other API users keep room (docs/queue.md, "Zoho's limits").
public struct ZohoLimits: Sendable, Equatable {
    /// Books calls per window and organization; Books allows 100 a minute (facts §6).
    public var booksPerWindow: Int
    /// Books' minute. Only tests shorten it; Books' day is 1,440 of them.
    public var booksWindowSeconds: Double
    /// Books calls per day and organization: the plan's quota (Free 1,000, Standard about 2,500,
    /// Professional 5,000; facts §6). Zoho cannot be asked for it, so it is a setting.
    public var booksPerDay: Int

    public init(booksPerWindow: Int = 90, booksWindowSeconds: Double = 60, booksPerDay: Int = 1_000) {
        self.booksPerWindow = booksPerWindow
        self.booksWindowSeconds = booksWindowSeconds
        self.booksPerDay = booksPerDay
    }

    /// Books: 10 calls at once on paid plans (facts §6), kept at 8.
    public var books: RateLimiter.Limit {
        RateLimiter.Limit(
            concurrency: 8,
            perWindow: booksPerWindow,
            windowSeconds: booksWindowSeconds,
            perDay: booksPerDay,
            daySeconds: booksWindowSeconds * 1_440
        )
    }

    /// CRM: concurrency by edition (facts §5), less two. Zoho counts no calls per window, and credits are
    /// daily and large (a 429 when they run out pauses CRM alone): the window is only a ceiling, 100 calls
    /// a second, about what the concurrency allows at Zoho's answer times, that a fast simulator or a
    /// loop cannot pass.
    public static func crm(edition: String) -> RateLimiter.Limit {
        let concurrency = ["free": 5, "standard": 10, "professional": 15, "enterprise": 20, "ultimate": 25][edition] ?? 10
        return RateLimiter.Limit(concurrency: max(1, concurrency - 2), perWindow: 100, windowSeconds: 1)
    }

    /// How long an app pauses after a 429 that gives no Retry-After: CRM 30 s; Books a window, or a
    /// day's 24th when its message speaks of the day (the quota is spent; asking every minute wastes calls).
    func pauseAfter429(_ app: ZohoClient.App, message: String) -> Double {
        guard app == .books else { return 30 }
        return message.lowercased().contains("day") ? booksWindowSeconds * 60 : booksWindowSeconds
    }
}
