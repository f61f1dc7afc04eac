import Crypto
import Foundation

extension Secrets {
    /// Compares a presented credential with the expected one in time that does not depend on where they
    /// differ: both sides are hashed to 32 bytes first, so neither content nor length leaks through timing.
    public static func matches(_ presented: some DataProtocol, _ expected: some DataProtocol) -> Bool {
        let a = SHA256.hash(data: presented)
        let b = SHA256.hash(data: expected)
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    public static func matches(_ presented: String, _ expected: String) -> Bool {
        matches(Data(presented.utf8), Data(expected.utf8))
    }
}
