public import Foundation

extension UUID {
    /// A random (version 4) UUID from the standard library's system generator, which asks the kernel for the bytes
    /// with one call; Foundation's `UUID()` opens and reads a device file each time on Linux, which shows when an
    /// identifier is made for every request.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        var bytes = (
            UInt8(truncatingIfNeeded: high >> 56), UInt8(truncatingIfNeeded: high >> 48),
            UInt8(truncatingIfNeeded: high >> 40), UInt8(truncatingIfNeeded: high >> 32),
            UInt8(truncatingIfNeeded: high >> 24), UInt8(truncatingIfNeeded: high >> 16),
            UInt8(truncatingIfNeeded: high >> 8), UInt8(truncatingIfNeeded: high),
            UInt8(truncatingIfNeeded: low >> 56), UInt8(truncatingIfNeeded: low >> 48),
            UInt8(truncatingIfNeeded: low >> 40), UInt8(truncatingIfNeeded: low >> 32),
            UInt8(truncatingIfNeeded: low >> 24), UInt8(truncatingIfNeeded: low >> 16),
            UInt8(truncatingIfNeeded: low >> 8), UInt8(truncatingIfNeeded: low)
        )
        bytes.6 = (bytes.6 & 0x0f) | 0x40  // version 4
        bytes.8 = (bytes.8 & 0x3f) | 0x80  // RFC 9562 variant
        return UUID(uuid: bytes)
    }

    /// The UUID as 32 lowercase hex digits without dashes, as OpenAI-style identifiers (`chatcmpl-…`) carry it.
    public var compactHex: String {
        let digits = Array("0123456789abcdef".utf8)
        return withUnsafeBytes(of: uuid) { raw in
            String(unsafeUninitializedCapacity: 32) { buffer in
                for (index, byte) in raw.enumerated() {
                    buffer[index * 2] = digits[Int(byte >> 4)]
                    buffer[index * 2 + 1] = digits[Int(byte & 0x0f)]
                }
                return 32
            }
        }
    }
}
