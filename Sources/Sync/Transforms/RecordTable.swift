extension Mapping.FieldPair {
    /// The Odoo records a Zoho picklist's values stand for: each key names a record of `model` by its
    /// display name or its xml id, and gives the Zoho value for it.
    public struct RecordTable: Sendable, Equatable {
        public enum Key: String, Sendable {
            case name
            case xmlID = "xml_id"
        }

        public let model: String
        public let key: Key
        /// The record's key → the Zoho value.
        public let values: [String: String]

        /// Where `Lookups` keeps the records found for such keys.
        var index: String { Self.index(model, key) }

        static func index(_ model: String, _ key: Key) -> String { "\(model) by \(key.rawValue)" }
    }
}
