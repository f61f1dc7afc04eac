import Core
import OdooRPC
import Queue

/// How a mapping fits the Odoo it runs against: the pairs that Odoo's series has, each naming a
/// field that the model has. A mapping that does not fit stops with what to change, never half a sync.
public struct MappingFit: Sendable {
    public let mapping: Mapping
    public let server: OdooServer
    /// Pairs this series does not have, by the mapping's own `odoo_until`.
    public let leftOut: [Mapping.FieldPair]
    /// Odoo fields the mapping names that the model lacks on this server.
    public let missing: [String]

    public static func check(_ m: Mapping, client: OdooClient) async throws -> MappingFit {
        let server = try await client.server()
        let fitted = m.fitted(to: server.series)
        let named = [fitted.matchOdoo] + fitted.fields.map(\.odoo)
        let known = try await client.fields(m.odooModel, including: named)
        var missing: [String] = []
        for field in named where known[field] == nil && !missing.contains(field) {
            missing.append(field)
        }
        return MappingFit(
            mapping: fitted,
            server: server,
            leftOut: m.fields.filter { !fitted.fields.contains($0) },
            missing: missing
        )
    }

    /// What is wrong and what to do, or nil when the mapping fits.
    public var problem: String? {
        guard !missing.isEmpty else { return nil }
        let fields = missing.joined(separator: ", ")
        return "mapping \(mapping.name) does not fit Odoo \(server.version): \(mapping.odooModel) has no field \(fields). "
            + "Remove the pair, or give it odoo_until with the last Odoo series that has the field"
    }

    /// One line for the health check.
    public var summary: String {
        if let problem { return problem }
        var parts = ["fits Odoo \(server.version): \(mapping.fields.count) field pair(s)"]
        let fromParent = mapping.fields.filter(\.odooFromParent).map(\.odoo)
        if !fromParent.isEmpty {
            parts.append(
                "a company's contacts have the company's \(fromParent.joined(separator: ", ")) in Odoo, so those cross with the company, not the contact"
            )
        }
        if !leftOut.isEmpty {
            let names = leftOut.map { "\($0.odoo) ↔ \($0.zoho.joined(separator: "/"))" }.joined(separator: ", ")
            parts.append("left out on this series: \(names)")
        }
        return parts.joined(separator: "; ")
    }
}

extension SyncEngine {
    /// The mapping as it runs against this instance's Odoo, or a permanent error saying what to change.
    func fitted(_ m: Mapping, client: OdooClient) async throws -> Mapping {
        let fit = try await MappingFit.check(m, client: client)
        if let problem = fit.problem { throw JobError(.permanent, problem) }
        return fit.mapping
    }
}
