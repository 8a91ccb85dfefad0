/// A reply from Redis, copied out of hiredis's reply object so it outlives it.
public enum RedisValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case string([UInt8])
    case status(String)
    case error(String)
    case array([RedisValue])

    /// The reply as text, for bulk strings and status replies.
    public var text: String? {
        switch self {
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }
}
