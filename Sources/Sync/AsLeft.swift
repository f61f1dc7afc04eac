import Core
import Store

/// A bound pair as people left it, ready for `Reconciler.decide`: both records, with any person's
/// edit that one of the sidecar's own writes overwrote put back, and the time each field last
/// changed on each side since the pair last agreed.
struct AsLeft {
    var odoo: JSONValue
    var zoho: JSONValue
    var times: Reconciler.FieldTimes
    /// Overwritten edits, to be written back to their side unless the decision says otherwise.
    var restoreOdoo: [String: JSONValue] = [:]
    var restoreZoho: [String: JSONValue] = [:]
}

/// The field clocks of the records a sync handles, read once per sync.
struct FieldClocks {
    let odoo: [String: [String: FieldChange]]
    let zoho: [String: [String: FieldChange]]
    let odooWrites: [String: [String: FieldChange]]
    let zohoWrites: [String: [String: FieldChange]]

    static func load(_ store: any Store, instanceID: Int64, _ m: Mapping, _ bindings: [Binding]) async throws -> FieldClocks {
        let odooIDs = bindings.map { String($0.odooID) }
        let zohoIDs = bindings.map(\.zohoID)
        return FieldClocks(
            odoo: try await FieldClock.latest(store, instanceID: instanceID, side: .odoo, object: m.odooModel, ids: odooIDs),
            zoho: try await FieldClock.latest(store, instanceID: instanceID, side: .zoho, object: m.object, ids: zohoIDs),
            odooWrites: try await FieldClock.latest(store, instanceID: instanceID, side: .odooWrite, object: m.odooModel, ids: odooIDs),
            zohoWrites: try await FieldClock.latest(store, instanceID: instanceID, side: .zohoWrite, object: m.object, ids: zohoIDs)
        )
    }

    /// Values of two-way fields that no reported change explains: the callback or forward that would
    /// is still on its way, or was lost. Such a value was set at the latest when the record last
    /// changed as read now, and that is kept as its time: later, the record's own time moves with any
    /// other field's change, the sidecar's writes included, and would make the value look newer than an
    /// edit made meanwhile on the other side. The sidecar's own writes are not a change of this kind.
    /// `readAt`, when the sync began reading (epoch ms), is kept with it (an observation, not a report)
    /// and protects changes reported since: they are newer than what was read.
    func unreported(_ m: Mapping, _ b: Binding, odoo o: JSONValue, zoho z: JSONValue, instanceID: Int64, readAt: Int64) -> [FieldChange] {
        var found: [FieldChange] = []
        func check(
            _ side: FieldChange.Side,
            _ object: String,
            _ id: String,
            _ field: String,
            _ value: JSONValue?,
            recordTime: Micros?,
            changes: [String: [String: FieldChange]],
            writes: [String: [String: FieldChange]]
        ) {
            let last = changes[id]?[field]
            if let last, last.explains(value) || (last.readAt == nil && last.time >= readAt) { return }
            let shown = FieldClock.fingerprint(value)
            guard let recordTime, writes[id]?[field]?.writtenFingerprint != shown else { return }
            // Record times have second precision: a value set after the last reported change, in its second, is no older than it.
            found.append(
                FieldChange(
                    instanceID: instanceID,
                    side: side,
                    object: object,
                    recordID: id,
                    field: field,
                    time: max(recordTime / 1000, last?.time ?? 0),
                    readAt: readAt,
                    fingerprint: shown
                )
            )
        }
        let zohoTime = SyncEngine.modifiedTime(z).flatMap(Clock.parseOdoo)
        let odooTime = o["write_date"]?.stringValue.flatMap(Clock.parseOdoo)
        for p in m.fields where p.direction == .both {
            check(.odoo, m.odooModel, String(b.odooID), p.odoo, o[p.odoo], recordTime: odooTime, changes: odoo, writes: odooWrites)
            for f in p.zoho { check(.zoho, m.object, b.zohoID, f, z[f], recordTime: zohoTime, changes: zoho, writes: zohoWrites) }
        }
        return found
    }

    /// `change` is what Zoho's callback for this pull reported of the Zoho record, if anything.
    func asLeft(
        _ m: Mapping,
        _ b: Binding,
        odoo o: JSONValue,
        zoho z: JSONValue,
        change: ZohoChange?,
        lookups: Lookups
    ) throws(ConversionError) -> AsLeft {
        let odooChanges = odoo[String(b.odooID)] ?? [:]
        let zohoChanges = zoho[b.zohoID] ?? [:]
        // A value the last known change did not set came from a later one, not reported yet: it is at
        // most as old as the record's write_date or Modified_Time.
        let odooRecordTime = o["write_date"]?.stringValue.flatMap(Clock.parseOdoo) ?? 0
        let zohoRecordTime = SyncEngine.modifiedTime(z).flatMap(Clock.parseOdoo) ?? 0
        func time(_ c: FieldChange, _ record: JSONValue, _ recordTime: Micros) -> Micros {
            c.explains(record[c.field]) ? c.time * 1000 : max(c.time * 1000, recordTime)
        }
        let latest = Reconciler.FieldTimes(
            odoo: odooChanges.mapValues { time($0, o, odooRecordTime) },
            zoho: zohoChanges.mapValues { time($0, z, zohoRecordTime) },
            zohoWrites: (zohoWrites[b.zohoID] ?? [:]).mapValues {
                .init(
                    read: ($0.readAt ?? 0) * 1000,
                    written: $0.time * 1000,
                    readFingerprint: $0.fingerprint,
                    writtenFingerprint: $0.writtenFingerprint
                )
            }
        )
        // For the decision: the change that set the value shown counts whenever it came (a field the last
        // sync left unagreed keeps its time); without the value, only a change after the pair last agreed.
        let agreedOdoo = b.odooWriteDate.flatMap(Clock.parseOdoo) ?? 0
        let agreedZoho = b.zohoModifiedTime.flatMap(Clock.parseOdoo) ?? 0
        func decisive(_ changes: [String: FieldChange], _ latest: [String: Micros], agreed: Micros) -> [String: Micros] {
            latest.filter { field, time in changes[field]?.fingerprint != nil || time > agreed }
        }
        var view = AsLeft(
            odoo: o,
            zoho: z,
            times: Reconciler.FieldTimes(
                odoo: decisive(odooChanges, latest.odoo, agreed: agreedOdoo),
                zoho: decisive(zohoChanges, latest.zoho, agreed: agreedZoho)
            )
        )
        // Times that are only bounds, recent enough that the report may still come: a value with no report of
        // its own while its record's last change is that recent; a value observed earlier while that observation is.
        let now = Clock.now()
        let grace = Int64(Reconciler.reportGraceSeconds * 1e6)
        func unsettled(_ fields: [String], _ changes: [String: FieldChange], _ record: JSONValue, recordTime: Micros) -> Set<String> {
            Set(
                fields.filter { f in
                    guard let c = changes[f], c.explains(record[f]) else {
                        return recordTime > 0 && now - recordTime < grace
                    }
                    return c.readAt.map { now - $0 * 1000 < grace } ?? false
                }
            )
        }
        let twoWay = m.fields.filter { $0.direction == .both }
        let twoWayZoho = twoWay.flatMap(\.zoho)
        view.times.unsettledOdoo = unsettled(twoWay.map(\.odoo), odooChanges, o, recordTime: odooRecordTime)
        view.times.unsettledZoho = unsettled(twoWayZoho, zohoChanges, z, recordTime: zohoRecordTime)
        view.times.boundZoho = Set(
            twoWayZoho.filter { f in
                guard let c = zohoChanges[f] else { return true }
                return c.readAt != nil || !c.explains(z[f])
            }
        )

        // Zoho: the callback reports a person's change inside the window of the sidecar's write of that field.
        view.restoreZoho = try Reconciler.overwritten(m, zoho: z, change: change, binding: b, lookups: lookups, latest: latest)
        if let change, !view.restoreZoho.isEmpty, case .object(var record) = z {
            record.merge(view.restoreZoho) { _, person in person }
            view.zoho = .object(record)
            for f in view.restoreZoho.keys {
                view.times.zoho[f] = change.time * 1000
                view.times.boundZoho.remove(f)
            }
        }
        // Odoo: a forwarded change that came after the read just before the sidecar's write of the field,
        // was not what the sync had read, while Odoo still shows what the sidecar wrote.
        if case .object(var record) = o {
            for p in m.fields where p.direction != .toOdoo {
                guard let c = odooChanges[p.odoo], let value = c.value, let w = odooWrites[String(b.odooID)]?[p.odoo], let read = w.readAt,
                    c.time > read, w.writtenFingerprint == FieldClock.fingerprint(o[p.odoo]),
                    c.fingerprint != w.writtenFingerprint, c.fingerprint != w.fingerprint
                else { continue }
                record[p.odoo] = value
                view.restoreOdoo[p.odoo] = value
                view.times.odoo[p.odoo] = c.time * 1000
            }
            if !view.restoreOdoo.isEmpty { view.odoo = .object(record) }
        }
        return view
    }
}
