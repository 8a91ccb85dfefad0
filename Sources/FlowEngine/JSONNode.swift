import Foundation

/// A parsed JSON document that keeps object members in document order, so that problems come out in the order
/// a reader meets them, and duplicate keys (which most parsers silently collapse) can be reported.
indirect enum JSONNode: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONNode])
    case object([(key: String, value: JSONNode)])

    /// The member named `key`, the first one if the key is duplicated.
    subscript(key: String) -> JSONNode? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// The node as a value, for literals a flow carries through unchanged.
    var value: FlowValue {
        switch self {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .number(let value): return .number(value)
        case .string(let value): return .string(value)
        case .array(let elements): return .array(elements.map(\.value))
        case .object(let members):
            var object: [String: FlowValue] = [:]
            for member in members where object[member.key] == nil { object[member.key] = member.value.value }
            return .object(object)
        }
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    init(_ value: FlowValue) {
        switch value {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .number(let value): self = .number(value)
        case .string(let value): self = .string(value)
        case .array(let elements): self = .array(elements.map(JSONNode.init))
        case .object(let members):
            self = .object(members.keys.sorted().map { (key: $0, value: JSONNode(members[$0]!)) })
        }
    }
}

/// Why a document is not JSON, and where.
struct JSONSyntaxError: Error, Sendable {
    var message: String
    var line: Int
    var column: Int
}

/// A strict RFC 8259 parser over UTF-8 bytes, with a depth limit, that reports duplicate keys by JSON pointer.
struct JSONNodeParser {
    static let maximumDepth = 64

    /// The document, borrowed for the parse: reading through a buffer pointer spares a retain and release of an
    /// array on every byte.
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var path: [String] = []
    private(set) var duplicates: [String] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Runs `body` with a parser over the bytes of `data`, without copying them.
    static func withParser<T>(
        over data: Data,
        _ body: (inout JSONNodeParser) throws(JSONSyntaxError) -> T
    ) throws(JSONSyntaxError) -> T {
        let result: Result<T, JSONSyntaxError> = data.withUnsafeBytes { raw in
            var parser = JSONNodeParser(raw.assumingMemoryBound(to: UInt8.self))
            do throws(JSONSyntaxError) { return .success(try body(&parser)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Runs `body` with a parser over `bytes`.
    static func withParser<T>(
        over bytes: [UInt8],
        _ body: (inout JSONNodeParser) throws(JSONSyntaxError) -> T
    ) throws(JSONSyntaxError) -> T {
        let result: Result<T, JSONSyntaxError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONNodeParser(buffer)
            do throws(JSONSyntaxError) { return .success(try body(&parser)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses a whole document.
    /// - Returns: the root and the pointers of every duplicated key.
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> (node: JSONNode, duplicates: [String]) {
        try withParser(over: bytes) { (parser: inout JSONNodeParser) throws(JSONSyntaxError) in
            parser.skipSpace()
            let node = try parser.parseValue(depth: 0)
            try parser.end()
            return (node, parser.duplicates)
        }
    }

    // MARK: Reading straight into values, for contexts

    /// Reads one value as a ``FlowValue``, without building nodes first.
    mutating func flowValue(depth: Int = 0) throws(JSONSyntaxError) -> FlowValue {
        skipSpace()
        guard index < bytes.count else { throw error("the document ends where a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
            // Room for a typical object up front: growing a dictionary rehashes it.
            var object = [String: FlowValue](minimumCapacity: 8)
            try self.members(depth: depth + 1) { (key: String, parser: inout JSONNodeParser) throws(JSONSyntaxError) in
                object[key] = try parser.flowValue(depth: depth + 1)
            }
            return .object(object)
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
            var array: [FlowValue] = []
            try self.elements(depth: depth + 1) { (parser: inout JSONNodeParser) throws(JSONSyntaxError) in
                array.append(try parser.flowValue(depth: depth + 1))
            }
            return .array(array)
        default:
            return try scalar()
        }
    }

    /// Reads an object, calling `member` with each key while the parser sits on its value.
    mutating func members(depth: Int = 0, _ member: (String, inout JSONNodeParser) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { throw error("an object was expected") }
        index += 1
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("a member name in double quotes was expected")
            }
            let key = try parseString()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("`:` was expected") }
            index += 1
            try member(key, &self)
            skipSpace()
            guard index < bytes.count else { throw error("the document ends inside an object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw error("`,` or `}` was expected") }
            index += 1
            return
        }
    }

    /// Reads an array, calling `element` with the parser on each element.
    mutating func elements(depth: Int = 0, _ element: (inout JSONNodeParser) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { throw error("an array was expected") }
        index += 1
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try element(&self)
            skipSpace()
            guard index < bytes.count else { throw error("the document ends inside an array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw error("`,` or `]` was expected") }
            index += 1
            return
        }
    }

    /// Checks that nothing but whitespace follows.
    mutating func end() throws(JSONSyntaxError) {
        skipSpace()
        if index < bytes.count { throw error("unexpected text after the JSON value") }
    }

    private func error(_ message: String) -> JSONSyntaxError {
        var line = 1
        var column = 1
        for byte in bytes[..<min(index, bytes.count)] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return JSONSyntaxError(message: message, line: line, column: column)
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        guard index < bytes.count else { throw error("the document ends where a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
            return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
            return try parseArray(depth: depth + 1)
        default:
            return JSONNode(try scalar())
        }
    }

    /// Reads a string, number, boolean or null, for both the tree and the value readers.
    private mutating func scalar() throws(JSONSyntaxError) -> FlowValue {
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectWord("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectWord("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectWord("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw error("a value was expected")
        }
    }

    private mutating func expectWord(_ word: String) throws(JSONSyntaxError) {
        var position = index
        for byte in word.utf8 {
            guard position < bytes.count, bytes[position] == byte else { throw error("a value was expected") }
            position += 1
        }
        index = position
    }

    private mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        var members: [(key: String, value: JSONNode)] = []
        var seen: Set<String> = []  // only for large objects; a scan is cheaper for small ones
        try self.members(depth: depth) { (key: String, parser: inout JSONNodeParser) throws(JSONSyntaxError) in
            parser.skipSpace()
            parser.path.append(key)
            let value = try parser.parseValue(depth: depth)
            let duplicate = members.count < 16 ? members.contains { $0.key == key } : !seen.insert(key).inserted
            if members.count == 15 { seen = Set(members.map(\.key) + [key]) }
            if duplicate { parser.duplicates.append(FlowProblem.pointer(parser.path)) }
            parser.path.removeLast()
            members.append((key, value))
        }
        return .object(members)
    }

    private mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        var elements: [JSONNode] = []
        try self.elements(depth: depth) { (parser: inout JSONNodeParser) throws(JSONSyntaxError) in
            parser.skipSpace()
            parser.path.append(String(elements.count))
            elements.append(try parser.parseValue(depth: depth))
            parser.path.removeLast()
        }
        return .array(elements)
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            index += 1
        }
        var scalars = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("the document ends inside a string") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append(0x22)
                case UInt8(ascii: "\\"): scalars.append(0x5C)
                case UInt8(ascii: "/"): scalars.append(0x2F)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else { throw error("a lone surrogate in a \\u escape") }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("a lone surrogate in a \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        throw error("a lone surrogate in a \\u escape")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("an invalid \\u escape") }
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw error("an invalid escape in a string")
                }
            case 0..<0x20:
                throw error("a control character inside a string (write it as an escape)")
            default:
                scalars.append(byte)
                index += 1
            }
        }
        throw error("the document ends inside a string")
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("an incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("an invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> Double {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("an invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("an invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("an invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)), value.isFinite else {
            throw error("a number too large to represent")
        }
        return value
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }
}
