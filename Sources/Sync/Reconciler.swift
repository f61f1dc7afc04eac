import Core

/// What to write so that an Odoo record and a Zoho record agree, decided field pair by field pair.
struct Decision: Sendable {
    /// Zoho fields to write (all of them when the Zoho record is to be created).
    var zoho: [String: JSONValue] = [:]
    /// Odoo fields to write (all of them, defaults included, when the Odoo record is to be created).
    var odoo: [String: JSONValue] = [:]
    /// The values both sides hold afterwards, in Odoo's terms, for the two-way pairs: hashed onto the binding.
    var agreed: [String: JSONValue] = [:]
    var hash: String { Values.hash(agreed) }
    var direction: String? { !zoho.isEmpty ? "push" : !odoo.isEmpty ? "pull" : nil }
}

/// Decides a pair. One-way fields always flow from their source. A two-way field that differs goes
/// from the side that changed it since the last agreed values (stored on the binding); when both
/// changed it, the mapping's policy decides (by default the newer write wins). Writing only what
/// differs is what makes the sync converge with no echo: once both sides agree, nothing is written.
enum Reconciler {
    /// A person's Zoho edit that the sidecar's own write overwrote (Zoho has no conditional write, so a
    /// change between the sync's read and its write is lost in Zoho). Recognised from Zoho's callback:
    /// the change came after the state the sidecar read and after the Odoo edit it pushed, before its
    /// write, and Zoho has not changed since. Returns the Zoho record as the person left it (with the
    /// change's time as Modified_Time) and the Zoho fields to put back; nil when nothing was overwritten.
    static func overwritten(_ m: Mapping, zoho: JSONValue, change: ZohoChange?, binding: Binding?) -> (zoho: JSONValue, restore: [String: JSONValue])? {
        guard m.policy != .odoo, let change, let b = binding, let read = b.zohoReadTime.flatMap(Clock.parseOdoo),
              let written = b.zohoModifiedTime.flatMap(Clock.parseOdoo), written > read,
              zoho["Modified_Time"]?.stringValue.flatMap(Clock.parseOdoo) == written else { return nil }
        let time = change.time * 1000
        let odooEdit = b.odooWriteDate.flatMap(Clock.parseOdoo) ?? .max
        guard time > read, time > odooEdit, time < written + 1_000_000 else { return nil }
        let restore = change.values.filter { field, value in zoho[field] != value && m.zohoFields.contains(field) }
        guard !restore.isEmpty, case .object(var record) = zoho else { return nil }
        record.merge(restore) { _, person in person }
        record["Modified_Time"] = .string(Clock.odooString(time).replacingOccurrences(of: " ", with: "T") + "+00:00")
        return (.object(record), restore)
    }

    static func decide(_ m: Mapping, odoo: JSONValue?, zoho: JSONValue?, binding: Binding?, lookups: Lookups) -> Decision {
        var d = Decision()
        let pairs = m.fields
        func odooValue(_ p: Mapping.FieldPair, _ record: JSONValue) -> JSONValue {
            let v = Values.odooSide(p, record)
            // A reference Zoho cannot express (an unbound company, an unknown country) compares as empty.
            switch p.transform {
            case .lookup(let other): return v.intValue.flatMap { lookups.zohoIDs[other]?[$0] } == nil ? .null : v
            case .country: return v.intValue.flatMap { lookups.countryName[$0] } == nil ? .null : v
            default: return v
            }
        }
        guard let odoo else {
            guard let zoho else { return d }
            for p in pairs {
                let z = Values.zohoSide(p, zoho, lookups)
                if p.toOdoo, !z.isNull { d.odoo[p.odoo] = Values.toOdoo(p, z) }
                if p.direction == .both { d.agreed[p.odoo] = z }
            }
            d.odoo.merge(m.odooDefaults) { mine, _ in mine }
            return d
        }
        guard let zoho else {
            for p in pairs {
                let o = odooValue(p, odoo)
                if p.toZoho { for (k, v) in Values.toZoho(p, o, lookups) where !v.isNull { d.zoho[k] = v } }
                if p.direction == .both { d.agreed[p.odoo] = o }
            }
            return d
        }
        // Three-way merge against what both sides last agreed on: a field changed on one side only takes
        // that side's value, so an edit in Odoo and another in Zoho to different fields both survive.
        // A field changed on both sides (or a pair never agreed on) goes to the policy's side.
        let base = binding?.syncValues
        let odooWins: Bool = {
            switch m.policy {
            case .odoo: return true
            case .zoho: return false
            case .newest:
                let o = odoo["write_date"]?.stringValue.flatMap(Clock.parseOdoo) ?? 0
                let z = SyncEngine.modifiedTime(zoho).flatMap(Clock.parseOdoo) ?? 0
                return o >= z
            }
        }()
        for p in pairs {
            let o = odooValue(p, odoo)
            let z = Values.zohoSide(p, zoho, lookups)
            let value: JSONValue
            if o == z {
                value = o
            } else if p.direction == .toZoho {
                d.zoho.merge(Values.toZoho(p, o, lookups)) { _, new in new }
                value = o
            } else if p.direction == .toOdoo {
                d.odoo[p.odoo] = Values.toOdoo(p, z)
                value = z
            } else {
                let agreed = base?[p.odoo]
                let takeOdoo: Bool
                if let agreed, z == agreed {
                    takeOdoo = true  // only Odoo changed
                } else if let agreed, o == agreed {
                    takeOdoo = false  // only Zoho changed
                } else if base == nil, o.isNull || z.isNull {
                    takeOdoo = z.isNull  // first linking: an empty value never erases the other side's
                } else {
                    takeOdoo = odooWins
                }
                if takeOdoo {
                    d.zoho.merge(Values.toZoho(p, o, lookups)) { _, new in new }
                    value = o
                } else {
                    d.odoo[p.odoo] = Values.toOdoo(p, z)
                    value = z
                }
            }
            if p.direction == .both { d.agreed[p.odoo] = value }
        }
        return d
    }
}
