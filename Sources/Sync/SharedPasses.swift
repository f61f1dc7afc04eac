import Core

/// Push and pull jobs of one mapping that wait for its lock together share its next pass: the records
/// of every job that joined before the lock came free are synced in one pass instead of a pass each.
/// Under a stream of edits the wait for the lock then stays about one pass long, however many jobs
/// arrive (against a real Odoo a pass takes a tenth of a second, and ten edits a second on each side
/// used to queue up behind each other). A job whose shared pass failed syncs its own records alone,
/// so an error stays with the records it belongs to.
actor SharedPasses {
    /// The records a job brings to a pass.
    struct Work: Sendable {
        var odooIDs: [Int64] = []
        var zohoIDs: [String] = []
        var zohoChanges: [String: ZohoChange] = [:]

        /// Both together; nil when that is more than a pass takes on a side, or when both bring a
        /// callback's change of the same Zoho record: each change is evidence of its own (a person's edit
        /// that the sync's write may have overwritten), and a pass reads one change per record.
        func adding(_ other: Work) -> Work? {
            guard Set(zohoChanges.keys).isDisjoint(with: other.zohoChanges.keys) else { return nil }
            var sum = self
            sum.odooIDs = Array(Set(odooIDs + other.odooIDs)).sorted()
            sum.zohoIDs = Array(Set(zohoIDs + other.zohoIDs)).sorted()
            sum.zohoChanges.merge(other.zohoChanges) { mine, _ in mine }
            guard sum.odooIDs.count <= SyncJobs.batchLimit, sum.zohoIDs.count <= SyncJobs.batchLimit else { return nil }
            return sum
        }
    }

    enum Join: Sendable {
        /// This job runs the next pass: `start` gives it everyone's records once it holds the lock.
        case lead(Int)
        /// The pass this job joined is done.
        case served(SyncEngine.Report)
        /// The pass failed or there was no room in it: this job syncs its records alone.
        case alone
    }

    private struct Pass {
        let id: Int
        var work: Work
    }

    /// Per lock, the pass that waits for it.
    private var waiting: [String: Pass] = [:]
    private var followers: [Int: [CheckedContinuation<SyncEngine.Report?, Never>]] = [:]
    private var lastID = 0

    func join(_ lock: String, _ work: Work) async -> Join {
        guard var pass = waiting[lock] else {
            lastID += 1
            waiting[lock] = Pass(id: lastID, work: work)
            return .lead(lastID)
        }
        guard let sum = pass.work.adding(work) else { return .alone }
        pass.work = sum
        waiting[lock] = pass
        let report = await withCheckedContinuation { followers[pass.id, default: []].append($0) }
        return report.map(Join.served) ?? .alone
    }

    /// The leader holds the lock: the pass stops taking jobs, and these are its records.
    func start(_ lock: String, _ id: Int) -> Work? {
        guard let pass = waiting[lock], pass.id == id else { return nil }
        waiting[lock] = nil
        return pass.work
    }

    /// The pass is over (or its leader gave up before starting it): its followers get its report, or
    /// nil when it failed.
    func finish(_ lock: String, _ id: Int, _ report: SyncEngine.Report?) {
        if waiting[lock]?.id == id { waiting[lock] = nil }
        for follower in followers.removeValue(forKey: id) ?? [] { follower.resume(returning: report) }
    }
}
