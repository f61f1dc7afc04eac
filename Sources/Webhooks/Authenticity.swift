import Core
import Crypto
import Foundation
import ZohoAPI

/// Proofs that a webhook comes from the instance's Zoho, each switched on per instance:
/// - the webhook secret in `X-Zoho-Webhook-Secret` or `?key=` (what an admin puts in a CRM or Books
///   workflow webhook);
/// - for CRM notifications, the channel token Zoho echoes in the body (facts §7a);
/// - for Books/Billing, `X-Zoho-Webhook-Signature`: HMAC-SHA256 keyed with the secret over the sorted
///   query and form pairs `keyvalue…` followed by the raw JSON body (facts §7c).
/// Every comparison is constant-time.
public enum Authenticity {
    public struct Presented: Sendable {
        public var secretHeader: String?
        public var signatureHeader: String?
        public var query: [(String, String)]

        public init(secretHeader: String?, signatureHeader: String?, query: [(String, String)]) {
            self.secretHeader = secretHeader
            self.signatureHeader = signatureHeader
            self.query = query
        }
    }

    /// nil when a proof holds; otherwise why not, for the audit log (never the values themselves).
    public static func refusal(_ instance: Instance, presented: Presented, body: WebhookBody, event: WebhookEvent?) -> String? {
        guard let secret = instance.webhookSecret else { return "the instance has no webhook secret" }
        if instance.acceptsSecret {
            if let header = presented.secretHeader, Secrets.matches(header, secret) { return nil }
            if let key = presented.query.first(where: { $0.0 == "key" })?.1, Secrets.matches(key, secret) { return nil }
        }
        if instance.acceptsChannelToken, let token = event?.channelToken,
            Secrets.matches(token, NotificationChannels.token(secret: secret))
        {
            return nil
        }
        if instance.acceptsSignature, let header = presented.signatureHeader,
            Secrets.matches(header.lowercased(), signature(secret: secret, query: presented.query, body: body))
        {
            return nil
        }
        var offered: [String] = []
        if presented.secretHeader != nil { offered.append("a wrong X-Zoho-Webhook-Secret") }
        if presented.query.contains(where: { $0.0 == "key" }) { offered.append("a wrong ?key=") }
        if event?.channelToken != nil { offered.append("a wrong channel token") }
        if presented.signatureHeader != nil { offered.append("a wrong X-Zoho-Webhook-Signature") }
        return offered.isEmpty ? "no credential presented" : "presented " + offered.joined(separator: ", ")
    }

    /// Zoho Billing's signature, hex-encoded.
    public static func signature(secret: String, query: [(String, String)], body: WebhookBody) -> String {
        let pairs = (query + (body.form ?? [])).sorted { $0.0 < $1.0 }
        var message = Data(pairs.map { $0.0 + $0.1 }.joined().utf8)
        if body.form == nil { message.append(contentsOf: body.bytes) }
        return HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8))).hex
    }
}
