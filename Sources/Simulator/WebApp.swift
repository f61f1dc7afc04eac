import Core

/// The pages of Zoho's web apps that links from Odoo open, at the same paths as Zoho's own
/// (`crm.zoho.<domain>/crm/tab/<Tab>/<id>`, `books.zoho.<domain>/app/<organization>#/<list>/<id>`),
/// so a link built for the simulator's URL template opens the record. Real Zoho asks the person to
/// sign in first; the simulator shows the record as it holds it.
extension SimState {
    func webApp(_ r: SimRequest) -> SimResponse? {
        guard r.method == "GET" else { return nil }
        if r.path.count == 4, r.path[0] == "crm", r.path[1] == "tab" {
            return crmRecordPage(tab: r.path[2], id: r.path[3], dc: r.dc)
        }
        if r.path.count == 2, r.path[0] == "app" {
            return booksOrganizationPage(organization: r.path[1], dc: r.dc)
        }
        return nil
    }

    /// The web app's tab names the API's Deals module by its old name.
    static let crmModulesByTab = ["Potentials": "Deals"]

    func crmRecordPage(tab: String, id: String, dc: String) -> SimResponse {
        let module = Self.crmModulesByTab[tab] ?? tab
        guard let record = orgs[dc]?.records[module]?[id] else {
            return .html(404, webPage("Zoho CRM", "<p>No record \(escape(id)) in \(escape(module)).</p>"))
        }
        let name = record.fields[CRMCatalogue.module(module)?.nameField ?? ""]?.stringValue ?? id
        let body = "<p>\(escape(module)) · record \(escape(id))</p><h2 id=\"record-name\">\(escape(name))</h2>" + fieldTable(record.fields)
        return .html(200, webPage("Zoho CRM", body))
    }

    /// Books keeps the record in the address's fragment, which browsers do not send: the page lists the
    /// organisation's records, each under an anchor named as the fragment (`/contacts/<id>`).
    func booksOrganizationPage(organization: String, dc: String) -> SimResponse {
        guard let org = books[booksKey(dc, organization)] else {
            return .html(404, webPage("Zoho Books", "<p>No organization \(escape(organization)).</p>"))
        }
        var body = "<p>Organization \(escape(org.name))</p>"
        for (entity, list) in [(BooksEntity.contact, "contacts"), (BooksEntity.item, "inventory/items")] {
            for record in org[records: entity].values.sorted(by: { $0.id < $1.id }) {
                let name = record.fields[entity.nameField]?.stringValue ?? record.id
                body += "<section id=\"/\(list)/\(escape(record.id))\"><h2>\(escape(name))</h2>" + fieldTable(record.fields) + "</section>"
            }
        }
        return .html(200, webPage("Zoho Books", body))
    }

    /// A page that asks the browser for nothing more (no icon: a browser test fails on a missing one).
    func webPage(_ title: String, _ body: String) -> String {
        "<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>\(escape(title))</title></head>"
            + "<body><h1>\(escape(title)) (simulator)</h1>\(body)</body></html>"
    }

    func fieldTable(_ fields: [String: JSONValue]) -> String {
        let rows = fields.keys.sorted().map { key in
            let value = fields[key]!
            let text = value.stringValue ?? value.serialized()
            return "<tr><th>\(escape(key))</th><td>\(escape(text))</td></tr>"
        }
        return "<table>" + rows.joined() + "</table>"
    }
}
