public import Foundation

/// Unpadded base64url (RFC 4648 §5), as JOSE and our opaque tokens use it.
public enum Base64URL {
    /// Encodes bytes.
    /// (Byte work rather than string replacement: API keys and access tokens are read on every request.)
    public static func encode(_ bytes: some DataProtocol) -> String {
        var encoded = Data(bytes).base64EncodedData()
        while encoded.last == UInt8(ascii: "=") { encoded.removeLast() }
        for index in encoded.indices {
            switch encoded[index] {
            case UInt8(ascii: "+"): encoded[index] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): encoded[index] = UInt8(ascii: "_")
            default: break
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// Decodes text; nil when it is not base64url (padding, the standard alphabet's `+` and `/`, or a length no
    /// encoding has are refused).
    public static func decode(_ text: some StringProtocol) -> Data? {
        let count = text.utf8.count
        guard count % 4 != 1 else { return nil }
        var decoded = Data(capacity: count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            let value = values[Int(byte)]
            guard value != 0xff else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                decoded.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return decoded
    }

    /// Each byte's value in the base64url alphabet, 0xff for bytes outside it.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    /// `count` random bytes, encoded.
    public static func random(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return encode((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
