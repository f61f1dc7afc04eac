import Core

/// A value one side holds that its field pair cannot carry to the other side: a malformed date, a word
/// where a number belongs, a picklist value outside the pair's table, a user the other side lacks. The
/// record it belongs to fails alone, and this says what to change in a person's terms.
public struct ConversionError: Error, Sendable, Equatable {
    public enum Side: String, Sendable {
        case odoo = "Odoo"
        case zoho = "Zoho"
    }

    public enum Problem: Sendable, Equatable {
        case notADate
        case notADateTime
        case notAnInteger
        case notANumber
        case notABoolean
        case notAList
        /// A value the pair's value table has no entry for.
        case notInTable
        /// The table gives the value an Odoo record (`key`, a display name or xml id) that Odoo does not have.
        case tableEntryMissing(model: String, key: String)
        /// No record of the Odoo model has this name (a tag), or no longer has this id.
        case notInOdoo(model: String)
        /// The other side has no user with this user's email.
        case noUser
    }

    /// Whose value it is.
    public let side: Side
    /// That side's field.
    public let field: String
    /// The field on the other side the value was to reach.
    public let counterpart: String
    /// The value as a person finds it on that side.
    public let value: String
    public let problem: Problem

    init(side: Side, pair: Mapping.FieldPair, value: String, problem: Problem) {
        let zoho = pair.zoho.joined(separator: "/")
        self.side = side
        self.field = side == .odoo ? pair.odoo : zoho
        self.counterpart = side == .odoo ? zoho : pair.odoo
        self.value = value
        self.problem = problem
    }

    /// The Zoho field concerned, for the rejected record's entry.
    var zohoField: String { side == .zoho ? field : counterpart }

    /// What cannot be converted and what to do about it; `mapping` names the mapping whose table is meant.
    public func message(mapping: String) -> String {
        let shown = "\(side.rawValue)'s \(field) '\(value)'"
        let correct = "correct it in \(side.rawValue)"
        let table = "mapping \(mapping)\(mapping.hasSuffix("s") ? "'" : "'s") value table for \(counterpart)"
        switch problem {
        case .notADate:
            return "\(shown) is not a date such as 2026-12-07: \(correct)"
        case .notADateTime:
            let example = side == .zoho ? "2026-12-07T10:15:00+05:30" : "2026-12-07 04:45:00"
            return "\(shown) is not a date and time such as \(example): \(correct)"
        case .notAnInteger:
            return "\(shown) is not a whole number: \(correct)"
        case .notANumber:
            return "\(shown) is not a number: \(correct)"
        case .notABoolean:
            return "\(shown) is neither true nor false: \(correct)"
        case .notAList:
            return "\(shown) is not a list of choices: \(correct)"
        case .notInTable:
            return "\(shown) is not in \(table): add it to the table, or change it in \(side.rawValue)"
        case .tableEntryMissing(let model, let key):
            return "\(shown) stands for '\(key)' in \(table), and Odoo has no \(model) '\(key)': correct the table, or create that record in Odoo"
        case .notInOdoo(let model) where side == .zoho:
            return "\(shown) is the name of no \(model) in Odoo: create it in Odoo, or change it in Zoho"
        case .notInOdoo(let model):
            return "\(shown) names a \(model) that Odoo no longer has: sync the record again"
        case .noUser where side == .zoho:
            return "\(shown) has no Odoo user with the same email: give the Odoo user that email (or login), or change it in Zoho"
        case .noUser:
            return "\(shown) has no Zoho user with the same email: give the user the same email on both sides, or change it in Odoo"
        }
    }
}

/// One side's value of one pair, being read or carried across: what a `ConversionError` names.
struct Conversion {
    let pair: Mapping.FieldPair
    let side: ConversionError.Side

    func failure(_ value: JSONValue, _ problem: ConversionError.Problem) -> ConversionError {
        ConversionError(side: side, pair: pair, value: value.stringValue ?? value.serialized(), problem: problem)
    }
}
