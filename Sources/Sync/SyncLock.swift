import Core
import Foundation
import Synchronization
import ZohoAPI

/// One sync at a time per instance and mapping, across every sidecar on the database. A pull that
/// arrives (from Zoho's callback) while the push that created the record is still storing its binding
/// must wait for it, or it would take the new Zoho record for a stranger and create it again in Odoo.
/// The lease is short and renewed while held, so a sidecar killed mid-sync blocks the others for
/// seconds, not minutes.
final class SyncLock: Sendable {
    let instances: Instances
    private let local = Mutex<[String: AsyncLock]>([:])

    static let lease: Double = 15

    init(instances: Instances) { self.instances = instances }

    func run<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T {
        // In this process: an async mutex, so waiting costs nothing. Across processes: a lease row.
        let lock = local.withLock { all in
            if let l = all[name] { return l }
            let l = AsyncLock()
            all[name] = l
            return l
        }
        return try await lock.withLock {
            let holder = UUID().uuidString
            while !(try await instances.tryLock(name, holder: holder, seconds: Self.lease)) {
                try await Task.sleep(for: .milliseconds(50))
            }
            let renewal = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(Self.lease / 3))
                    _ = try? await instances.renewLock(name, holder: holder, seconds: Self.lease)
                }
            }
            defer { renewal.cancel() }
            do {
                let result = try await body()
                await instances.unlock(name, holder: holder)
                return result
            } catch {
                await instances.unlock(name, holder: holder)
                throw error
            }
        }
    }
}
