public import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension UUID {
    /// A random (version 4) UUID whose bytes come from the kernel in one call; Foundation's `UUID()` opens and reads
    /// a device file each time on Linux, which shows when an identifier is made for every request.
    public static func random() -> UUID {
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { buffer in
            #if canImport(Glibc)
            // At most one system call for the sixteen bytes (the standard library's generator makes one per eight).
            arc4random_buf(buffer.baseAddress!, buffer.count)
            #else
            var generator = SystemRandomNumberGenerator()
            for index in buffer.indices { buffer[index] = generator.next() }
            #endif
        }
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
