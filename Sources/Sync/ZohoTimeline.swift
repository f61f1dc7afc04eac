import Core
import ZohoAPI

extension SyncEngine {
    /// Zoho changes that would win a conflict, or hold one up, dated only by a bound, dated instead by
    /// their records' timelines, as reports. A bound is the record's Modified_Time when the value was
    /// first read, and an edit of any other field moves it: when the change's callback comes late, or
    /// never, an older Zoho edit would beat a newer Odoo one. CRM only (Books keeps no timeline the
    /// sidecar reads). A timeline Zoho does not give leaves the bound as it was.
    func timelineReports(
        _ m: Mapping,
        instance: Instance,
        pairs: [(binding: Binding, odoo: JSONValue, zoho: JSONValue)],
        clocks: FieldClocks,
        zohoChanges: [String: ZohoChange],
        lookups: Lookups
    ) async -> [FieldChange] {
        guard m.app == "crm", m.policy == .newest else { return [] }
        let zohoAPI = ZohoRecords(client: zoho.client, instanceID: instance.id)
        var reports: [FieldChange] = []
        for (b, o, z) in pairs {
            let m = m.forRecord(o)
            guard let view = try? clocks.asLeft(m, b, odoo: o, zoho: z, change: zohoChanges[b.zohoID], lookups: lookups),
                let d = try? Reconciler.decide(m, odoo: view.odoo, zoho: view.zoho, binding: b, lookups: lookups, times: view.times),
                !d.zohoBounds.isEmpty
            else { continue }
            guard let times = try? await zohoAPI.changeTimes(m, id: b.zohoID, fields: d.zohoBounds, shown: z) else { continue }
            reports += times.map { field, time in
                FieldChange(
                    instanceID: instance.id,
                    side: .zoho,
                    object: m.object,
                    recordID: b.zohoID,
                    field: field,
                    time: time / 1000,
                    fingerprint: FieldClock.fingerprint(z[field])
                )
            }
        }
        return reports
    }
}
