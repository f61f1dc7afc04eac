import Foundation
import Synchronization

/// The one place between any secret and any output (logs, errors, RPC results, stored payloads).
///
/// Two nets: a scanner that catches what looks like a credential (Zoho tokens, `Authorization` values,
/// `secret=`-style pairs, sidecar API keys), and a registry of exact secret values the process knows
/// (decrypted client secrets, webhook secrets), so even a secret with no recognisable shape is caught.
public enum Secrets {
    public static let mask = "***"

    private static let registry = Mutex<Set<String>>([])

    /// Remember a secret value so that `redact` removes it wherever it appears. Short values are ignored:
    /// masking every "abc" would garble ordinary text, and such values are not secrets worth the name.
    public static func register(_ secret: String) {
        guard secret.utf8.count >= 8 else { return }
        registry.withLock { _ = $0.insert(secret) }
    }

    /// Returns `text` with every known or recognisable secret replaced by `***`.
    public static func redact(_ text: String) -> String {
        var out = text
        let known = registry.withLock { $0 }
        for secret in known where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: mask)
        }
        var scanner = Scanner(Array(out.utf8))
        return String(decoding: scanner.run(), as: UTF8.self)
    }

    /// A single pass over the bytes that recognises credential shapes. Hand-written rather than regular
    /// expressions: it runs on every log line and stored payload, and must never fail to compile.
    struct Scanner {
        let b: [UInt8]
        var out: [UInt8] = []
        var i = 0
        static let secretKeys: [[UInt8]] = Secrets.secretKeyNames.sorted { $0.count > $1.count }.map { Array($0.utf8) }
        static let schemes: [[UInt8]] = ["zoho-oauthtoken", "bearer", "basic"].map { Array($0.utf8) }
        static let star: [UInt8] = Array("***".utf8)

        init(_ bytes: [UInt8]) {
            b = bytes
            out.reserveCapacity(bytes.count)
        }

        static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }
        static func isHex(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) }
        static func isWord(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95 || c == 45 }
        static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
        static func endsValue(_ c: UInt8) -> Bool {
            isSpace(c) || c == 34 || c == 39 || c == 38 || c == 44 || c == 125 || c == 92 || c == 93 || c == 41 || c == 59
        }

        func matches(_ word: [UInt8], at j: Int) -> Bool {
            guard j + word.count <= b.count else { return false }
            for k in 0..<word.count where Self.lower(b[j + k]) != word[k] { return false }
            return true
        }

        mutating func run() -> [UInt8] {
            while i < b.count {
                if zohoToken() || sidecarKey() || scheme() || keyValue() { continue }
                out.append(b[i])
                i += 1
            }
            return out
        }

        /// 1000.<hex>[.<hex>]… — Zoho's access and refresh tokens and grant codes.
        mutating func zohoToken() -> Bool {
            guard b[i] == 49, matches(Array("1000.".utf8), at: i), i == 0 || !Self.isWord(b[i - 1]) else { return false }
            var j = i + 5
            var hex = 0
            while j < b.count, Self.isHex(b[j]) {
                j += 1
                hex += 1
            }
            guard hex >= 6 else { return false }
            while j + 1 < b.count, b[j] == 46, Self.isHex(b[j + 1]) {
                j += 1
                while j < b.count, Self.isHex(b[j]) { j += 1 }
            }
            out += Array("1000.".utf8) + Self.star
            i = j
            return true
        }

        /// zsk_… — the sidecar's own API keys, also glued to other text (a caller's mangled input echoed
        /// in an error, found by the fuzzer); a long enough tail keeps ordinary words out.
        mutating func sidecarKey() -> Bool {
            guard b[i] == 122, matches(Array("zsk_".utf8), at: i) else { return false }
            var j = i + 4
            while j < b.count, Self.isWord(b[j]) { j += 1 }
            guard j - i - 4 >= (i == 0 || !Self.isWord(b[i - 1]) ? 8 : 20) else { return false }
            out += Array("zsk_".utf8) + Self.star
            i = j
            return true
        }

        /// "Zoho-oauthtoken X", "Bearer X", "Basic X": keep the scheme, hide the credential.
        mutating func scheme() -> Bool {
            guard i == 0 || !Self.isWord(b[i - 1]) else { return false }
            for word in Self.schemes where matches(word, at: i) {
                var j = i + word.count
                guard j < b.count, Self.isSpace(b[j]) else { continue }
                while j < b.count, Self.isSpace(b[j]) { j += 1 }
                let start = j
                while j < b.count, !Self.endsValue(b[j]) { j += 1 }
                guard j > start, !(b[start] == 42) else { continue }
                out += b[i..<(i + word.count)] + [32] + Self.star
                i = j
                return true
            }
            return false
        }

        /// secret=…, "token": "…", client_secret: … — keep the key, hide the value.
        mutating func keyValue() -> Bool {
            guard i == 0 || !Self.isWord(b[i - 1]) else { return false }
            for word in Self.secretKeys where matches(word, at: i) {
                var j = i + word.count
                guard j >= b.count || !Self.isWord(b[j]) else { continue }
                while j < b.count, b[j] == 92 || b[j] == 34 || b[j] == 39 { j += 1 }
                while j < b.count, b[j] == 32 { j += 1 }
                guard j < b.count, b[j] == 58 || b[j] == 61 else { continue }
                j += 1
                while j < b.count, b[j] == 32 || b[j] == 92 || b[j] == 34 || b[j] == 39 { j += 1 }
                let start = j
                while j < b.count, !Self.endsValue(b[j]) { j += 1 }
                // "Authorization: Bearer X": the value is the scheme and the credential after it.
                if Self.schemes.contains(where: { $0 == b[start..<j].map(Self.lower) }) {
                    while j < b.count, Self.isSpace(b[j]) { j += 1 }
                    while j < b.count, !Self.endsValue(b[j]) { j += 1 }
                }
                // Nothing to hide, already hidden, or a JSON literal such as false/null/true.
                let value = b[start..<j]
                if value.isEmpty || value.first == 42 || ["false", "null", "true"].contains(where: { Array($0.utf8) == Array(value) }) { continue }
                out += b[i..<start] + Self.star
                i = j
                return true
            }
            return false
        }
    }

    /// Redacts every string inside a JSON value, and blanks values whose key names a secret.
    public static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(redact(s))
        case .array(let a): return .array(a.map(redact))
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, v) in o {
                if isSecretKey(k), !v.isOdooEmpty { out[k] = .string(mask) } else { out[k] = redact(v) }
            }
            return .object(out)
        default: return value
        }
    }

    /// Keys whose values are secrets, wherever they appear: `key=…` in text, `"key": …` in JSON.
    static let secretKeyNames: Set<String> = [
        "client_secret", "refresh_token", "access_token", "api_key", "apikey", "webhook_secret",
        "secret", "password", "passwd", "token", "authorization", "x-zoho-webhook-secret",
        "master_key", "key",
    ]

    public static func isSecretKey(_ key: String) -> Bool { secretKeyNames.contains(key.lowercased()) }
}

public enum Random {
    /// URL-safe random text from `bytes` bytes of the system's CSPRNG.
    public static func token(bytes: Int) -> String {
        var g = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &g) }
        return Data(raw).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hex, without Foundation's formatting.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
