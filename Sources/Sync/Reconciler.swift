import Core

/// What to write so that an Odoo record and a Zoho record agree, decided field pair by field pair.
public struct Decision: Sendable {
    /// Zoho fields to write (all of them when the Zoho record is to be created).
    public var zoho: [String: JSONValue] = [:]
    /// Odoo fields to write (all of them, defaults included, when the Odoo record is to be created).
    public var odoo: [String: JSONValue] = [:]
    /// The values both sides hold afterwards, in Odoo's terms, for the two-way pairs: hashed onto the binding.
    public var agreed: [String: JSONValue] = [:]
    /// Two-way fields changed on both sides whose newer change cannot be told yet: left as they are for now.
    public var deferred: [String] = []
    /// Zoho fields whose change wins a conflict, or holds one up, dated only by a bound: the record's
    /// timeline can date them.
    public var zohoBounds: [String] = []
    var hash: String { Values.hash(agreed) }
    var direction: String? { !zoho.isEmpty ? "push" : !odoo.isEmpty ? "pull" : nil }
}

/// Decides a pair. One-way fields always flow from their source. A two-way field that differs goes
/// from the side that changed it since the last agreed values (stored on the binding); when both
/// changed it, the mapping's policy decides (by default the side that wrote that field last). Writing only what
/// differs is what makes the sync converge with no echo: once both sides agree, nothing is written.
public enum Reconciler {
    /// A person's Zoho edits that the sidecar's own writes overwrote (Zoho has no conditional write, so a
    /// change between a sync's read and its write of the same field is lost in Zoho). Recognised from
    /// Zoho's callback, field by field: the change came inside the window of the sidecar's last write of
    /// the field (after the read it was decided on, before the write's Modified_Time), after Odoo's last
    /// edit of the field, Zoho still shows the value the sidecar wrote, and no later change to the field
    /// was reported. Returns the Zoho fields to put back.
    static func overwritten(
        _ m: Mapping,
        zoho: JSONValue,
        change: ZohoChange?,
        binding: Binding?,
        lookups: Lookups,
        latest: FieldTimes
    ) throws(ConversionError) -> [String: JSONValue] {
        guard m.policy != .odoo, let change, let agreed = binding?.syncValues, case .object(var asLeft) = zoho else { return [:] }
        let time = change.time * 1000
        var restore: [String: JSONValue] = [:]
        for p in m.fields where p.direction != .toZoho {
            let fields = p.zoho.filter { change.values[$0] != nil }
            guard !fields.isEmpty, let value = agreed[p.odoo], try Values.zohoSide(p, zoho, lookups) == value,
                time > (latest.odoo[p.odoo] ?? binding?.odooWriteDate.flatMap(Clock.parseOdoo) ?? 0),
                fields.allSatisfy({ f in
                    guard let w = latest.zohoWrites[f] else { return false }
                    let windowEnd = w.written + 1_000_000  // Modified_Time has second precision
                    // Echoes are not a person's edit: the echo of this write shows the value written, the
                    // echo of an earlier one the value Zoho had when this write read it.
                    let value = FieldClock.fingerprint(change.values[f])
                    return time > w.read && time < windowEnd && (latest.zoho[f] ?? 0) < windowEnd && value != w.readFingerprint
                        && value != w.writtenFingerprint
                })
            else { continue }
            var candidate = asLeft
            for f in fields { candidate[f] = change.values[f] }
            guard try Values.zohoSide(p, .object(candidate), lookups) != value else { continue }
            asLeft = candidate
            for f in fields { restore[f] = change.values[f] }
        }
        return restore
    }

    /// When each field last changed on each side (`FieldClock`), and the windows of the sidecar's own
    /// last writes to Zoho, in microseconds.
    public struct FieldTimes: Sendable {
        struct Window: Sendable {
            var read: Micros
            var written: Micros
            /// `FieldClock.fingerprint` of the field's value when read, and of the value written.
            var readFingerprint: String?
            var writtenFingerprint: String?
        }

        var odoo: [String: Micros] = [:]
        var zoho: [String: Micros] = [:]
        var zohoWrites: [String: Window] = [:]
        /// Fields whose time is only a bound (their change not reported yet), still within `reportGraceSeconds`.
        var unsettledOdoo: Set<String> = []
        var unsettledZoho: Set<String> = []
        /// Zoho fields whose time is only a bound, however old.
        var boundZoho: Set<String> = []

        /// Public for `decide`'s default argument; declaring it takes away the memberwise one, written out below.
        public init() {}

        init(odoo: [String: Micros], zoho: [String: Micros], zohoWrites: [String: Window] = [:]) {
            self.odoo = odoo
            self.zoho = zoho
            self.zohoWrites = zohoWrites
        }
    }

    /// How long a conflict whose winner is dated only by a bound waits for the report of that change
    /// (Zoho's callback, Odoo's forward) before the bound decides it.
    static let reportGraceSeconds = 60.0

    public static func decide(
        _ m: Mapping,
        odoo: JSONValue?,
        zoho: JSONValue?,
        binding: Binding?,
        lookups: Lookups,
        times: FieldTimes = FieldTimes()
    ) throws(ConversionError) -> Decision {
        var d = Decision()
        let pairs = m.fields
        func odooValue(_ p: Mapping.FieldPair, _ record: JSONValue) throws(ConversionError) -> JSONValue {
            let v = try Values.odooSide(p, record)
            // A reference Zoho cannot express (an unbound company, an unknown country) compares as empty.
            switch p.transform {
            case .lookup(let other): return v.intValue.flatMap { lookups.zohoIDs[other]?[$0] } == nil ? .null : v
            case .country: return v.intValue.flatMap { lookups.countryName[$0] } == nil ? .null : v
            default: return v
            }
        }
        guard let odoo else {
            guard let zoho else { return d }
            for p in pairs where p.toOdoo {
                let z = try Values.zohoSide(p, zoho, lookups)
                if !z.isNull { d.odoo[p.odoo] = Values.toOdoo(p, z) }
                if p.direction == .both { d.agreed[p.odoo] = z }
            }
            d.odoo.merge(m.odooDefaults) { mine, _ in mine }
            return d
        }
        guard let zoho else {
            for p in pairs where p.toZoho {
                let o = try odooValue(p, odoo)
                for (k, v) in try Values.toZoho(p, o, lookups) where !v.isNull { d.zoho[k] = v }
                if p.direction == .both { d.agreed[p.odoo] = o }
            }
            return d
        }
        // Three-way merge against what both sides last agreed on: a field changed on one side only takes
        // that side's value, so an edit in Odoo and another in Zoho to different fields both survive.
        // A field changed on both sides (or a pair never agreed on) goes to the policy's side.
        let base = binding?.syncValues
        let odooRecordTime = odoo["write_date"]?.stringValue.flatMap(Clock.parseOdoo) ?? 0
        let zohoRecordTime = SyncEngine.modifiedTime(zoho).flatMap(Clock.parseOdoo) ?? 0
        // The side that changed the field last; a record's own time stands in where the field's is unknown.
        // Nil when the winner is dated only by a bound that its report may still correct.
        func odooWins(_ p: Mapping.FieldPair) -> Bool? {
            switch m.policy {
            case .odoo: return true
            case .zoho: return false
            case .newest:
                let o = times.odoo[p.odoo] ?? odooRecordTime
                let z = p.zoho.compactMap { times.zoho[$0] }.max() ?? zohoRecordTime
                let odooWins = o >= z
                let winnerUnsettled = odooWins ? times.unsettledOdoo.contains(p.odoo) : p.zoho.contains { times.unsettledZoho.contains($0) }
                return winnerUnsettled ? nil : odooWins
            }
        }
        for p in pairs {
            // A one-way pair only compares its destination: a value there the pair cannot read is overwritten.
            switch p.direction {
            case .toZoho:
                let o = try odooValue(p, odoo)
                if (try? Values.zohoSide(p, zoho, lookups)) != o { d.zoho.merge(try Values.toZoho(p, o, lookups)) { _, new in new } }
                continue
            case .toOdoo:
                let z = try Values.zohoSide(p, zoho, lookups)
                if (try? odooValue(p, odoo)) != z { d.odoo[p.odoo] = Values.toOdoo(p, z) }
                continue
            case .both:
                break
            }
            let o = try odooValue(p, odoo)
            let z = try Values.zohoSide(p, zoho, lookups)
            let value: JSONValue
            if o == z {
                value = o
            } else {
                let agreed = base?[p.odoo]
                let takeOdoo: Bool
                if let agreed, z == agreed {
                    takeOdoo = true  // only Odoo changed
                } else if let agreed, o == agreed {
                    takeOdoo = false  // only Zoho changed
                } else if agreed == nil, o.isNull || z.isNull {
                    // First linking, or a pair added to the mapping since: an empty value never erases the other side's.
                    takeOdoo = z.isNull
                } else {
                    let wins = odooWins(p)
                    // Zoho winning, or holding the conflict up, by a bound only: its timeline can date the change.
                    if wins != true, m.policy == .newest, p.zoho.contains(where: times.boundZoho.contains) { d.zohoBounds += p.zoho }
                    guard let wins else {
                        d.deferred.append(p.odoo)
                        d.agreed[p.odoo] = agreed ?? .null
                        continue
                    }
                    takeOdoo = wins
                }
                if takeOdoo {
                    d.zoho.merge(try Values.toZoho(p, o, lookups)) { _, new in new }
                    value = o
                } else {
                    d.odoo[p.odoo] = Values.toOdoo(p, z)
                    value = z
                }
            }
            d.agreed[p.odoo] = value
        }
        return d
    }
}
