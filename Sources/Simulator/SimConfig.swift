import Core
import Foundation

/// Every behaviour of the simulator that Zoho's documentation leaves open ([?] in the facts file) or
/// that a test wants to turn: defaults follow the most likely real behaviour.
public struct SimConfig: Codable, Sendable {
    /// Approve consent requests without showing the page (tests); users of the demo see the page.
    public var autoApprove = false
    public var grantTTLSeconds: Double = 120
    public var accessTokenTTLSeconds: Double = 3600
    /// Older Zoho responses: `expires_in` in milliseconds plus `expires_in_sec`.
    public var legacyExpiresIn = false
    /// Access-token requests allowed per refresh token in `throttleWindowSeconds`.
    public var refreshLimit = 10
    public var throttleWindowSeconds: Double = 600
    /// After the throttle trips, this much silence is needed before it lifts.
    public var throttleQuietSeconds: Double = 600
    /// HTTP status of the throttle body (400 per most sources; one fixture showed 200).
    public var throttleStatus = 400
    public var maxRefreshTokensPerUser = 20
    public var maxAccessTokensPerRefreshToken = 10
    /// Grant codes a client may obtain per 10 minutes before consent answers access_denied.
    public var grantLimitPer10Minutes = 10
    /// Accept `Authorization: Bearer` as well as `Zoho-oauthtoken` (reported to work).
    public var acceptBearer = true
    /// Send `Retry-After` with 429s (undocumented for v8).
    public var retryAfterSeconds: Int? = nil
    /// Status for a write where some records failed and some succeeded (207 or 400 are both reported).
    public var partialFailureStatus = 207
    /// Add `duplicate_record` to DUPLICATE_DATA details (newer API versions).
    public var duplicateRecordDetails = true
    /// CRM writes naming a field the module does not have are INVALID_DATA "the field api name given
    /// seems to be invalid" (the message is Zoho's, crm-oas v8.0 createRecords); whether Zoho refuses
    /// every unknown name or ignores some is unconfirmed [?], so `false` ignores them instead.
    public var rejectUnknownFields = true
    /// CRM writes to a field Zoho alone sets (Created_Time, Expected_Revenue, …) are INVALID_DATA [?];
    /// `false` ignores them, as Zoho may.
    public var rejectReadOnlyFields = true
    /// CRM picklists take only their listed values [?] (Zoho documents display values as the input);
    /// `false` lets any text of the field's length through.
    public var restrictPicklistValues = true
    /// Org time zone offset used in `Modified_Time` and friends.
    public var timeZoneOffset = "+05:30"
    /// Artificial latency per CRM/Books call, to make concurrency limits observable.
    public var apiLatencyMilliseconds = 0
    /// Offer the UK data centre (not in the SDK's list).
    public var enableUK = true
    /// Notification deliveries: timeout, retries on failure (Zoho documents none), and misbehaviour.
    public var deliveryTimeoutSeconds: Double = 10
    public var deliveryRetries = 0
    public var duplicateDeliveryPercent = 0.0
    public var delayDeliveryMilliseconds = 0
    public var reorderDeliveries = false
    /// How long a "timeout" fault holds a request before answering 504.
    public var timeoutFaultSeconds: Double = 30
    /// Books' limits per organization (facts §6): `booksRequestsPerWindow` calls in any window of
    /// `booksWindowSeconds` (100 per minute), and `booksDailyQuota` calls in any day, a day being
    /// 1,440 windows (the quota is the plan's: Free 1,000, Standard about 2,500, Professional 5,000).
    /// Tests shorten the window to keep a minute's worth of calls fast.
    public var booksRequestsPerWindow = 100
    public var booksWindowSeconds: Double = 60
    public var booksDailyQuota = 1_000

    public init() {}
}

/// A Zoho data centre as the simulator serves it: everything under `/<location>/…`.
public struct SimDataCenter: Sendable {
    public let location: String
    public static let all = ["us", "eu", "in", "au", "jp", "ca", "sa", "cn", "uk"]
}

/// CRM editions and their limits (facts §5).
public enum Edition: String, Codable, Sendable, CaseIterable {
    case free, standard, professional, enterprise, ultimate

    public var concurrency: Int {
        switch self {
        case .free: 5
        case .standard: 10
        case .professional: 15
        case .enterprise: 20
        case .ultimate: 25
        }
    }

    public func dailyCredits(users: Int) -> Int {
        switch self {
        case .free: 5_000
        case .standard: min(50_000 + users * 250, 100_000)
        case .professional: min(50_000 + users * 500, 3_000_000)
        case .enterprise: min(50_000 + users * 1_000, 5_000_000)
        case .ultimate: 50_000 + users * 2_000
        }
    }
}

/// Deterministic randomness when seeded (`--seed`), so ids and tokens repeat run to run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64?) { state = seed ?? UInt64.random(in: 1...UInt64.max) }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func hex(_ count: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<count).map { _ in digits[Int(next() % 16)] })
    }

    mutating func alnum(_ count: Int) -> String {
        let chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<count).map { _ in chars[Int(next() % UInt64(chars.count))] })
    }
}
