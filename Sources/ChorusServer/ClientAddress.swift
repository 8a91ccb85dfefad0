import Foundation
import Glibc

/// An IPv4 or IPv6 network such as `10.0.0.0/8` or `fd00::/8`; a bare address is a network of one.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    private let base: [UInt8]
    private let prefixLength: Int

    /// Parses `address/prefix` or a bare address; nil when it is neither.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let base = Self.bytes(String(parts[0])) else { return nil }
        let maximum = base.count * 8
        let length = parts.count == 2 ? Int(parts[1]) : maximum
        guard let length, (0...maximum).contains(length) else { return nil }
        self.base = base
        self.prefixLength = length
        self.description = text
    }

    public let description: String

    /// Whether `address` (textual IPv4 or IPv6) is inside this network.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address), bytes.count == base.count else { return false }
        var left = prefixLength
        for index in bytes.indices where left > 0 {
            let bits = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != base[index] & mask { return false }
            left -= bits
        }
        return true
    }

    /// The 4 or 16 bytes of a textual address; IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) count as IPv4.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }
}

/// Who is calling, for rate limits and the audit log.
enum ClientAddress {
    /// The peer's address, unless the peer is a trusted proxy: then the right-most address of `X-Forwarded-For`
    /// that is not itself a trusted proxy (the left part of the header is whatever the client sent, so it is not
    /// believed). Without trusted proxies the header is ignored.
    static func resolve(peer: String?, forwardedFor: String?, trusted: [IPNetwork]) -> String? {
        guard let peer, !trusted.isEmpty, trusted.contains(where: { $0.contains(peer) }), let forwardedFor else {
            return peer
        }
        var candidate = peer
        for hop in forwardedFor.split(separator: ",").reversed() {
            let address = hop.trimmingCharacters(in: .whitespaces)
            guard IPNetwork.bytes(address) != nil else { break }
            candidate = address
            if !trusted.contains(where: { $0.contains(address) }) { break }
        }
        return candidate
    }
}
