import Foundation

/// Zoho's data centres (facts §1): where a user consents and which host serves the APIs.
public struct DataCenter: Sendable, Equatable {
    public let location: String
    public let accountsServer: String
    public let apiDomain: String

    public static let all: [DataCenter] = [
        DataCenter(location: "us", accountsServer: "https://accounts.zoho.com", apiDomain: "https://www.zohoapis.com"),
        DataCenter(location: "eu", accountsServer: "https://accounts.zoho.eu", apiDomain: "https://www.zohoapis.eu"),
        DataCenter(location: "in", accountsServer: "https://accounts.zoho.in", apiDomain: "https://www.zohoapis.in"),
        DataCenter(location: "au", accountsServer: "https://accounts.zoho.com.au", apiDomain: "https://www.zohoapis.com.au"),
        DataCenter(location: "jp", accountsServer: "https://accounts.zoho.jp", apiDomain: "https://www.zohoapis.jp"),
        DataCenter(location: "ca", accountsServer: "https://accounts.zohocloud.ca", apiDomain: "https://www.zohoapis.ca"),
        DataCenter(location: "sa", accountsServer: "https://accounts.zoho.sa", apiDomain: "https://www.zohoapis.sa"),
        DataCenter(location: "cn", accountsServer: "https://accounts.zoho.com.cn", apiDomain: "https://www.zohoapis.com.cn"),
        DataCenter(location: "uk", accountsServer: "https://accounts.zoho.uk", apiDomain: "https://www.zohoapis.uk"),
    ]

    /// Accounts hosts Zoho also uses for a data centre (Bigin/Catalyst name AU `accounts.zoho.au`).
    static let aliases: [String: [String]] = ["au": ["https://accounts.zoho.au"]]
}

/// Where the sidecar talks to Zoho: the real data centres, or a drop-in target (the simulator, a
/// sandbox) given as a URL template with `{dc}`: `http://127.0.0.1:9100/{dc}` serves accounts at
/// `…/accounts` and the APIs at `…/api`.
public struct ZohoEndpoints: Sendable {
    public let template: String?

    public init(template: String? = nil) {
        self.template = template?.isEmpty == false ? template : nil
    }

    public func dataCenter(_ location: String) -> DataCenter? {
        guard let real = DataCenter.all.first(where: { $0.location == location }) else { return nil }
        guard let template else { return real }
        let base = template.replacingOccurrences(of: "{dc}", with: location)
        return DataCenter(location: location, accountsServer: base + "/accounts", apiDomain: base + "/api")
    }

    /// The accounts server named in a consent redirect, if it is the one we trust for `location`.
    /// The client secret is sent there, so an arbitrary host from a query string is never used.
    public func trustedAccountsServer(_ claimed: String?, location: String) -> String? {
        guard let dc = dataCenter(location) else { return nil }
        guard let claimed, !claimed.isEmpty else { return dc.accountsServer }
        let normalized = claimed.hasSuffix("/") ? String(claimed.dropLast()) : claimed
        if normalized == dc.accountsServer { return normalized }
        if template == nil, DataCenter.aliases[location]?.contains(normalized) == true { return normalized }
        return nil
    }

    /// The api_domain of a token response, if it belongs to a known data centre (or the override).
    public func trustedAPIDomain(_ claimed: String?, location: String) -> String? {
        guard let dc = dataCenter(location) else { return nil }
        guard let claimed, !claimed.isEmpty else { return dc.apiDomain }
        let normalized = claimed.hasSuffix("/") ? String(claimed.dropLast()) : claimed
        if normalized == dc.apiDomain { return normalized }
        if template == nil, DataCenter.all.contains(where: { $0.apiDomain == normalized }) { return normalized }
        return nil
    }
}
