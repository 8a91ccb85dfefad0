/// A provider endpoint's URL, read once per call: where to connect and what to ask for.
///
/// Only what a provider API needs is accepted: `http` or `https`, a host (a name, an IPv4 address or a bracketed
/// IPv6 address), an optional port, and a path with an optional query. User information, fragments, blanks and
/// non-ASCII bytes are refused, so that what goes on the wire is exactly what was configured.
struct ProviderURL: Sendable, Hashable {
    /// Where a connection goes; connections are pooled per origin.
    struct Origin: Sendable, Hashable, CustomStringConvertible {
        var secure: Bool
        /// The host as it is connected to: a name or an address, without brackets.
        var host: String
        var port: Int

        /// `host:port`, as error messages name a provider.
        var description: String { "\(host):\(port)" }

        /// The `Host` header: the port only when it is not the scheme's default, brackets around IPv6 addresses.
        var hostHeader: String {
            let name = host.contains(":") ? "[\(host)]" : host
            return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
        }

        /// Whether the host is an address, which TLS does not send as the server name.
        var hostIsAddress: Bool {
            host.contains(":") || host.utf8.allSatisfy { $0 == UInt8(ascii: ".") || (0x30...0x39).contains($0) }
        }
    }

    var origin: Origin
    /// The request target: the path (at least `/`) and the query.
    var target: String

    /// Reads `text`; nil when it is not a URL a provider call can go to.
    static func parse(_ text: String) -> ProviderURL? {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }), let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            return nil
        }
        let scheme = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
        guard scheme == "http" || scheme == "https", bytes[colon...].starts(with: "://".utf8) else { return nil }
        let secure = scheme == "https"
        let authorityStart = colon + 3
        let authorityEnd = bytes[authorityStart...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
            ?? bytes.endIndex
        let authority = bytes[authorityStart..<authorityEnd]
        guard !authority.contains(UInt8(ascii: "@")), !bytes.contains(UInt8(ascii: "#")) else { return nil }

        var host: ArraySlice<UInt8>
        var portText: ArraySlice<UInt8>?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            host = authority[(authority.startIndex + 1)..<close]
            let rest = authority[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == UInt8(ascii: ":") else { return nil }
                portText = rest.dropFirst()
            }
            guard host.allSatisfy({ $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || Self.isHexDigit($0) }) else {
                return nil
            }
        } else if let portColon = authority.firstIndex(of: UInt8(ascii: ":")) {
            host = authority[..<portColon]
            portText = authority[(portColon + 1)...]
        } else {
            host = authority
        }
        guard !host.isEmpty, !host.contains(UInt8(ascii: "[")), !host.contains(UInt8(ascii: "]")) else { return nil }
        if authority.first != UInt8(ascii: "["), host.contains(UInt8(ascii: ":")) { return nil }
        var port = secure ? 443 : 80
        if let portText, !portText.isEmpty {
            guard portText.count <= 5, portText.allSatisfy({ (0x30...0x39).contains($0) }),
                let number = Int(String(decoding: portText, as: UTF8.self)), (1...65535).contains(number)
            else { return nil }
            port = number
        }
        var target = String(decoding: bytes[authorityEnd...], as: UTF8.self)
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        return ProviderURL(
            origin: Origin(secure: secure, host: String(decoding: host, as: UTF8.self).lowercased(), port: port),
            target: target
        )
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}
