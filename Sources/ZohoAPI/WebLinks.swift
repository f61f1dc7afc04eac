import Foundation

/// Where a person opens a Zoho record in Zoho's own web app (not its API), for the links Odoo shows
/// beside a synced record.
///
/// Zoho documents no URL scheme for its web apps; these are the forms its web apps show in the
/// address bar and that integrations link to [O]:
/// - CRM: `https://crm.zoho.<domain>/crm/tab/<Tab>/<record id>`. Zoho also writes an
///   `org<id>/` segment after `/crm/`; without it, Zoho opens the record in the signed-in user's
///   organisation, which is the one the instance is connected to.
/// - Books: `https://books.zoho.<domain>/app/<organization id>#/<list>/<record id>`.
///
/// The web app of a data centre lives on the accounts server's domain (`accounts.zoho.eu` →
/// `crm.zoho.eu`, `accounts.zohocloud.ca` → `crm.zohocloud.ca`). With a URL template (the
/// simulator), the links point at the template's base, which serves the same paths.
public struct ZohoWebLinks: Sendable {
    let endpoints: ZohoEndpoints

    public init(endpoints: ZohoEndpoints) {
        self.endpoints = endpoints
    }

    /// The web app's page of one record, or nil when the app or data centre has no known page.
    public func recordURL(dataCenter: String, app: String, module: String, id: String, booksOrganization: String?) -> String? {
        guard let base = webBase(dataCenter: dataCenter, app: app), let id = Self.pathPart(id) else { return nil }
        switch app {
        case "crm":
            guard let tab = Self.pathPart(Self.crmTabs[module] ?? module) else { return nil }
            return base + "/crm/tab/" + tab + "/" + id
        case "books":
            guard let organization = booksOrganization.flatMap(Self.pathPart), let list = Self.booksLists[module] else { return nil }
            return base + "/app/" + organization + "#/" + list + "/" + id
        default:
            return nil
        }
    }

    /// The web app's origin for one app in one data centre.
    func webBase(dataCenter: String, app: String) -> String? {
        guard ["crm", "books"].contains(app) else { return nil }
        if let template = endpoints.template {
            return template.replacingOccurrences(of: "{dc}", with: dataCenter)
        }
        guard let dc = DataCenter.all.first(where: { $0.location == dataCenter }) else { return nil }
        return dc.accountsServer.replacingOccurrences(of: "://accounts.", with: "://\(app).")
    }

    /// CRM's web app names some modules as they were once called (the API's Deals is the tab Potentials).
    static let crmTabs = ["Deals": "Potentials"]

    /// Books' web app lists, per API entity.
    static let booksLists = ["contact": "contacts", "item": "inventory/items"]

    /// One path segment: anything but letters, digits, '-' and '_' is escaped, so an id never adds a segment.
    static func pathPart(_ text: String) -> String? {
        guard !text.isEmpty else { return nil }
        return text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_")))
    }
}
