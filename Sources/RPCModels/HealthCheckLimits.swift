import Core
import Queue
import ZohoAPI

extension HealthCheck {
    /// What this sidecar has spent of Books' allowance for the instance's organization, and whether
    /// Books work waits (after a 429, or for the daily quota).
    static func booksLimits(_ instance: Instance, zoho: ZohoService) async -> Item {
        let limits = zoho.client.limits
        let key = ZohoClient.limitKey(
            .books,
            instanceID: instance.id,
            dataCenter: instance.dataCenter,
            booksOrganizationID: instance.booksOrganizationID
        )
        let usage = await zoho.client.limiter.usage(key, limit: limits.books)
        let spent =
            "\(usage.inWindow) of \(limits.booksPerWindow) calls in the current minute, \(usage.inDay) of \(limits.booksPerDay) "
            + "in the last day (settings books_requests_per_minute, books_daily_quota)"
        let org = "organization \(instance.booksOrganizationID ?? "?")"
        if usage.inDay >= limits.booksPerDay {
            return Item(
                name: "Books limits",
                status: .warning,
                message: "the daily quota for \(org) is spent: Books work waits for calls to age out of the day; \(spent). "
                    + "Raise books_daily_quota if your Books plan allows more"
            )
        }
        if let until = usage.pausedUntil {
            return Item(
                name: "Books limits",
                status: .warning,
                message: "Books answered 429 for \(org): Books work waits until \(Clock.odooString(until)) UTC, CRM carries on; \(spent)"
            )
        }
        return Item(name: "Books limits", status: .ok, message: "\(org): \(spent)")
    }
}
