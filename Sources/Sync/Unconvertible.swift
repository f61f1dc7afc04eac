import Queue
import ZohoAPI

extension SyncEngine {
    /// A record holding a value its mapping cannot convert fails alone: a `zoho.log` entry names the
    /// mapping, the record, the field and the value, and the record joins the rejected records, so its
    /// next change (or a retry on demand, once the mapping's table is fixed) tries it again.
    func rejectUnconvertible(
        _ error: ConversionError,
        _ m: Mapping,
        instance: Instance,
        job: Job,
        odooID: Int64?,
        zohoID: String?,
        report: inout Report
    ) async -> Rejection {
        let message = error.message(mapping: m.name)
        let odoo = odooID.map { "Odoo \(m.odooModel) \($0)" }
        let zoho = zohoID.map { "Zoho \(m.object) \($0)" }
        let record = [odoo, zoho].compactMap { $0 }.joined(separator: " ↔ ")
        report.failed.append("\(record): \(message)")
        await log.write(
            .error,
            "\(m.name): \(record) is not synced: \(message)",
            companyID: instance.companyID,
            instanceID: instance.id,
            jobID: job.id,
            source: "sync"
        )
        let bound = odooID != nil && zohoID != nil
        return Rejection(
            odooID: odooID,
            zohoID: zohoID,
            rejectedBy: .mapping,
            operation: bound ? "update" : "create",
            refusal: Refusal(code: nil, field: error.zohoField, message: message)
        )
    }
}
