import OdooRPC

extension SyncEngine {
    /// A Zoho record to create in Odoo, with the values decided for it.
    typealias OdooCreate = (zohoID: String, decision: Decision)

    /// Creates Odoo records, in one call while Odoo accepts them all. Odoo refuses a whole batch for one
    /// bad record, so then each is created alone: the others cross, the refused ones are returned.
    func createInOdoo(
        _ m: Mapping,
        _ creates: [OdooCreate],
        client: OdooClient
    ) async throws -> (made: [(OdooCreate, Int64)], refused: [(OdooCreate, OdooFault)]) {
        do {
            return (Array(zip(creates, try await client.create(m.odooModel, creates.map(\.decision.odoo)))), [])
        } catch let fault as OdooFault where Self.refusesRecord(fault) {
            var made: [(OdooCreate, Int64)] = []
            var refused: [(OdooCreate, OdooFault)] = []
            for c in creates {
                do {
                    made += zip([c], try await client.create(m.odooModel, [c.decision.odoo]))
                } catch let fault as OdooFault where Self.refusesRecord(fault) {
                    refused.append((c, fault))
                }
            }
            return (made, refused)
        }
    }

    /// Odoo's answers about the record itself (a constraint, a bad value), not about the connection or the login.
    static func refusesRecord(_ fault: OdooFault) -> Bool {
        [.validationError, .userError, .valueError].contains(fault.kind)
    }
}
