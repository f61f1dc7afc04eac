import Core
import Foundation

struct CRMRecord: Codable, Sendable {
    var id: String
    var fields: [String: JSONValue]
    var created: Micros
    var modified: Micros
    /// Every change, oldest first, for the record's timeline; nil in snapshots saved before it was kept.
    var history: [CRMChange]?
}

/// One change to a CRM record as its timeline tells it: when, and each field's value before and after.
struct CRMChange: Codable, Sendable {
    struct Edit: Codable, Sendable {
        var old: JSONValue?
        var new: JSONValue?
    }

    var time: Micros
    var added: Bool
    var fields: [String: Edit]
}

struct DeletedRecord: Codable, Sendable {
    var id: String
    var displayName: String
    var deleted: Micros
}

struct WatchChannel: Codable, Sendable {
    var channelID: String
    var events: [String]
    var notifyURL: String
    var token: String?
    var expiry: Micros
    var returnAffectedFieldValues: Bool
    var resourceIDs: [String: String]
}

/// One CRM organisation per data centre.
struct CRMOrg: Codable, Sendable {
    var dc: String
    var orgID: String
    var edition = Edition.enterprise
    var users = 10
    var records: [String: [String: CRMRecord]] = [:]
    var deleted: [String: [DeletedRecord]] = [:]
    var channels: [String: WatchChannel] = [:]
    var workflowWebhooks: [WorkflowWebhook] = []
    /// Fields an administrator added, per module (optional: state files from before them lack it).
    var customFields: [String: [CRMField]]? = [:]
    var nextID: Int64 = 1
    /// API credits spent per minute (epoch minute → count), summed over a rolling 24 h.
    var credits: [Int64: Int] = [:]
    var inFlight = 0
    var inFlightHeavy = 0

    init(dc: String) {
        self.dc = dc
        self.orgID = String(60_000_001 + (SimDataCenter.all.firstIndex(of: dc) ?? 0) * 1000)
        addMissingModules()
    }

    /// Gives every catalogue module its (empty) tables: a fresh org, or one from an older state file.
    mutating func addMissingModules() {
        for m in CRMCatalogue.names {
            records[m] = records[m] ?? [:]
            deleted[m] = deleted[m] ?? []
        }
    }

    /// The module's fields as Zoho would list them: the standard ones, then the custom ones.
    func fields(_ module: String) -> [CRMField] {
        (CRMCatalogue.module(module)?.fields ?? []) + (customFields?[module] ?? [])
    }

    mutating func newID() -> String {
        defer { nextID += 1 }
        return "5725767" + String(format: "%012lld", 411_000 + nextID)
    }

    /// The edition and what it allows, as the control API answers them.
    var editionJSON: [String: JSONValue] {
        [
            "edition": .string(edition.rawValue), "daily_credits": .int(Int64(edition.dailyCredits(users: users))),
            "concurrency": .int(Int64(edition.concurrency)),
        ]
    }

    func creditsUsed(now: Micros) -> Int {
        let minute = now / 60_000_000
        return credits.filter { minute - $0.key < 1440 }.values.reduce(0, +)
    }

    mutating func spend(now: Micros) {
        let minute = now / 60_000_000
        credits[minute, default: 0] += 1
        if credits.count > 1500 { credits = credits.filter { minute - $0.key < 1440 } }
    }
}

struct WorkflowWebhook: Codable, Sendable {
    var module: String
    var url: String
    var events: [String]
    var headers: [String: String]
    var form: Bool
}
