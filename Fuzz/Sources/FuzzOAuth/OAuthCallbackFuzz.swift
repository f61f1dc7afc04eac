import FuzzCheck
import HummingbirdCore
import Server
import ZohoAPI

/// The query of `GET /zoho/oauth/callback`, where the browser comes back from Zoho's consent page:
/// read as the route reads it, then its state and accounts server checked as the flow checks them.
/// Properties: only a state signed with the sidecar's key passes, and it is exactly the text that
/// key signs for what it names; any other is refused with one of the two promised messages; the
/// accounts server the code and client secret would go to is one of Zoho's for the location, never
/// a host the query names.

/// The corpus's states are signed with this key; the sidecar signs with one derived from its master key.
private let key = Array("fuzz-signing-key".utf8)
private let stateRefusals = [
    "The authorization request has no valid state. Start again from the instance's Authorize button.",
    "The authorization state is not one this sidecar signed. Start again from the instance's Authorize button.",
]
/// Zoho's accounts servers: one per data centre, and the alias Bigin and Catalyst use for AU.
private let zohoAccountsServers = Set(DataCenter.all.map(\.accountsServer) + ["https://accounts.zoho.au"])
private let endpoints = ZohoEndpoints()

@main
enum OAuthCallbackFuzz {
    static func main() { runLibFuzzer(fuzzOAuthCallback) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOAuthCallback(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let query = OAuthRoutes.callbackQuery(URI("/zoho/oauth/callback?" + text).queryParameters)
    do {
        let state = try OAuthState.verified(query["state"], key: key)
        expect(state.signed(with: key) == query["state"], "passed, but not as signed: \(query["state"] ?? "-")")
    } catch {
        expect(stateRefusals.contains(error.description) && error.instanceID == nil, "refused as: \(error.description)")
    }
    let location = query["location"] ?? "us"
    if let server = endpoints.trustedAccountsServer(query["accounts-server"], location: location) {
        expect(zohoAccountsServers.contains(server), "would send the client secret to \(server)")
    }
    return 0
}
