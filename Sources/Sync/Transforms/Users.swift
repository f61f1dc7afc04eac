import Core

/// Zoho CRM's users and Odoo's `res.users`, matched by email ignoring letter case: an Odoo user's
/// `email`, or its `login` when that is an address.
struct UserDirectory: Sendable {
    struct OdooUser: Sendable {
        var name: String
        /// Lowercased addresses: the email, and the login when it is one.
        var emails: [String]
        /// Active users come first when two share an address.
        var active: Bool
    }

    var odoo: [Int64: OdooUser] = [:]
    /// Zoho user id by lowercased email, and email by Zoho user id.
    var zohoByEmail: [String: String] = [:]
    var zohoEmail: [String: String] = [:]

    /// The Odoo user with this (lowercased) address: an active one before an archived one, then the lowest id.
    func odooID(email: String) -> Int64? {
        odoo.filter { $0.value.emails.contains(email) }.min { a, b in a.value.active != b.value.active ? a.value.active : a.key < b.key }?.key
    }

    /// Zoho's user (`{"id", "name", "email"}`) as the id of the Odoo user with the same email.
    func odooUser(_ raw: JSONValue, _ c: Conversion) throws(ConversionError) -> JSONValue {
        if Values.empty(raw).isNull { return .null }
        let zohoID = raw["id"]?.stringValue ?? raw.stringValue
        let email = raw["email"]?.stringValue ?? zohoID.flatMap { zohoEmail[$0] }
        let shown = [raw["name"]?.stringValue, email.map { "<\($0)>" }].compactMap { $0 }.joined(separator: " ")
        guard let email, let id = odooID(email: email.lowercased()) else { throw c.failure(.string(shown.isEmpty ? zohoID ?? "" : shown), .noUser) }
        return .int(id)
    }

    /// The Zoho user (`{"id"}`) with the email of this Odoo user.
    func zohoUser(_ value: JSONValue, _ c: Conversion) throws(ConversionError) -> JSONValue {
        guard let id = value.intValue else { return .null }
        let user = odoo[id]
        guard let zohoID = user?.emails.lazy.compactMap({ zohoByEmail[$0] }).first else {
            let shown = user.map { ([$0.name] + $0.emails.prefix(1).map { "<\($0)>" }).joined(separator: " ") } ?? "#\(id)"
            throw c.failure(.string(shown), .noUser)
        }
        return ["id": .string(zohoID)]
    }
}
