import Core
import Foundation

/// Where a reconciliation got to. Saved after every slice of work, so that a 429, a spent quota, a
/// restart or the run's own time budget resumes it there, not from Zoho's first page.
struct ReconcilePlace: Codable, Sendable {
    enum Phase: String, Codable, Sendable { case zoho, odoo }

    var full: Bool
    var phase = Phase.zoho
    /// Books' listing: the page to read next, and how many of its records are done.
    var page = 1
    var skip = 0
    /// CRM's listing, sorted by Modified_Time: the time to list from again (one second back, so a record
    /// of the same second is read twice rather than skipped).
    var crmSince: String?
    var deletionsDone = false
    /// The newest change seen on each side: the cursors stored once the run is complete.
    var zohoHigh: String?
    var odooHigh: String?
    /// Odoo records already synced from Zoho's side: Odoo's side leaves them out.
    var handled: [Int64] = []
    /// Odoo's side: its records to sync, read once when the phase starts, and how many are done.
    var odooWork: [Int64]?
    var odooDone = 0
    /// Records of the slice under way already created in Zoho when a limit stopped it.
    var settled: [Int64] = []
    /// For sync_progress: records done, Zoho records listed so far, Odoo's count before its phase.
    var done = 0
    var listed = 0
    var odooEstimate = 0
    var report = SyncEngine.Report()

    init(full: Bool) {
        self.full = full
    }

    /// What the instance's sync_progress shows: Zoho's records are counted as their pages are read.
    var total: Int { listed + (odooWork?.count ?? odooEstimate) }

    static let side = "place"

    static func load(_ cursors: SyncCursors, full: Bool) async throws -> ReconcilePlace? {
        guard let text = try await cursors.get(side), let place = try? JSONDecoder().decode(Self.self, from: Data(text.utf8)) else { return nil }
        // A place left by the other kind of run (full or from the cursors) is not this run's.
        return place.full == full ? place : nil
    }

    func save(_ cursors: SyncCursors) async throws {
        try await cursors.set(Self.side, String(decoding: try JSONEncoder().encode(self), as: UTF8.self))
    }
}
