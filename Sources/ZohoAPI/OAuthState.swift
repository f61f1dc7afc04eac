import Core
import Crypto
import Foundation

/// The `state` of a consent request, `<instance>.<expires>.<nonce>.<hmac>`: the instance the
/// callback is for, until when, and a nonce the store spends once, signed with the sidecar's key so
/// that a callback cannot name an instance of its own choosing. Apart from the flow so that the
/// callback's query can be fuzzed without a store.
public struct OAuthState: Sendable, Equatable {
    public let instanceID: Int64
    public let expires: Micros
    public let nonce: String

    public init(instanceID: Int64, expires: Micros, nonce: String) {
        self.instanceID = instanceID
        self.expires = expires
        self.nonce = nonce
    }

    public func signed(with key: [UInt8]) -> String {
        let payload = "\(instanceID).\(expires).\(nonce)"
        return payload + "." + Self.mac(payload, key: key)
    }

    /// The state a callback presents, if it is well formed and signed with `key`. Expiry and single
    /// use are the flow's to check, against the clock and the store.
    public static func verified(_ text: String?, key: [UInt8]) throws(OAuthFlow.Failure) -> OAuthState {
        let parts = (text ?? "").split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, let id = Int64(parts[0]), let expires = Int64(parts[1]) else {
            throw OAuthFlow.Failure(
                description: "The authorization request has no valid state. Start again from the instance's Authorize button.",
                instanceID: nil
            )
        }
        guard Secrets.matches(mac(parts[0...2].joined(separator: "."), key: key), parts[3]) else {
            throw OAuthFlow.Failure(
                description: "The authorization state is not one this sidecar signed. Start again from the instance's Authorize button.",
                instanceID: nil
            )
        }
        return OAuthState(instanceID: id, expires: expires, nonce: parts[2])
    }

    static func mac(_ payload: String, key: [UInt8]) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: SymmetricKey(data: key)).hex
    }
}
