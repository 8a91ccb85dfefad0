/// A forward-only reader of JSON bytes that checks structure and skips values without building them.
struct JSONCursor {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var atEnd: Bool { index >= bytes.count }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case .space, .tab, .newline, .carriageReturn: index += 1
            default: return
            }
        }
    }

    /// The next byte that is not whitespace, without consuming it.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    /// Consumes `byte` if it is next, after any whitespace.
    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    /// Consumes a string and returns the range of its contents, escapes left as they are.
    mutating func string() -> Range<Int>? {
        guard consume(.quote) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case .backslash:
                index += 2
            case .quote:
                defer { index += 1 }
                return start..<index
            case 0..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    /// Consumes `word` (`true`, `false`, `null`) if it is next; leaves the cursor where it was otherwise.
    mutating func literal(_ word: StaticString) -> Bool {
        skipWhitespace()
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let start = word.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] {
            return false
        }
        index += count
        return true
    }

    /// Whether the bytes in `range` are exactly `text`.
    func bytes(in range: Range<Int>, equal text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        let start = text.utf8Start
        for offset in 0..<range.count where bytes[range.lowerBound + offset] != start[offset] {
            return false
        }
        return true
    }

    /// Consumes one value of any kind, checking that brackets and strings close.
    mutating func skipValue() -> Bool {
        guard let first = peek() else { return false }
        switch first {
        case .quote:
            return string() != nil
        case .openBrace, .openBracket:
            var depth = 0
            while let byte = peek() {
                switch byte {
                case .quote:
                    guard string() != nil else { return false }
                    continue
                case .openBrace, .openBracket:
                    depth += 1
                case .closeBrace, .closeBracket:
                    depth -= 1
                default:
                    break
                }
                index += 1
                if depth == 0 { return true }
            }
            return false
        default:
            // A number or a literal: it runs to the next delimiter.
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case .comma, .closeBrace, .closeBracket, .space, .tab, .newline, .carriageReturn:
                    return index > start
                default:
                    index += 1
                }
            }
            return index > start
        }
    }
}

extension UInt8 {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
}
