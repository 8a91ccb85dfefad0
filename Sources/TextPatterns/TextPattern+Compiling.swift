/// Why a tenant's pattern was rejected, and where in it the problem is.
///
/// Every case carries an `offset`: the 0-based position in the pattern, counted in characters (Unicode scalars),
/// of the character that starts the problem, for example the `(` that is never closed. ``code`` is stable and
/// meant for API responses; ``message`` is for people.
public enum TextPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The pattern is empty, or is only `(?i)`.
    case empty(offset: Int)
    /// The pattern is longer than `TextPattern.maximumLength` characters; the offset is where the excess starts.
    case tooLong(offset: Int)
    /// A `(` without its `)`, or a `)` without its `(`.
    case unbalancedParenthesis(offset: Int)
    /// A `[` without its `]`, a `]` outside a class, or a `[` inside one.
    case unbalancedBracket(offset: Int)
    /// A class that lists nothing (`[]`, `[^]`) or matches no character at all.
    case emptyClass(offset: Int)
    /// A non-ASCII character inside a class.
    case nonASCIIInClass(offset: Int)
    /// A class range whose ends are out of order or not single characters, or a `-` that must be escaped.
    case invalidRange(offset: Int)
    /// An alternative or a group with nothing in it: `a|`, `|a`, `()`.
    case emptyAlternative(offset: Int)
    /// A backslash before a character that has no meaning escaped.
    case unknownEscape(offset: Int)
    /// A backslash at the very end.
    case trailingBackslash(offset: Int)
    /// A backreference such as `\1` or `\k<name>`.
    case backreference(offset: Int)
    /// A lookahead or lookbehind, such as `(?=…)` or `(?<!…)`.
    case lookaround(offset: Int)
    /// An anchor or assertion: `^`, `$`, `\b`, `\B`, `\A`, `\z`, `\Z`, `\G`.
    case anchor(offset: Int)
    /// A group kind other than `( )` and `(?: )`, such as a named group or an inline flag group.
    case unsupportedGroup(offset: Int)
    /// `(?i)` anywhere but at the very start.
    case misplacedFlag(offset: Int)
    /// A quantifier with nothing to repeat, or directly after another quantifier.
    case nothingToRepeat(offset: Int)
    /// A lazy quantifier such as `*?` or `{2,3}?`.
    case lazyQuantifier(offset: Int)
    /// A possessive quantifier such as `*+`.
    case possessiveQuantifier(offset: Int)
    /// A malformed `{…}` repeat, a repeat of zero times, or an unescaped `{` or `}`.
    case invalidRepeat(offset: Int)
    /// A repeat count above `TextPattern.maximumRepeat`.
    case repeatTooLarge(offset: Int)
    /// The pattern compiles to more than `TextPattern.maximumStates` states; the offset is where it outgrows
    /// them, usually a repeat.
    case tooComplex(offset: Int)
    /// The pattern can match empty text, such as `a*` or `(x)?`.
    case matchesEmpty(offset: Int)

    /// Where the problem is: a 0-based offset into the pattern, in characters (Unicode scalars).
    public var offset: Int {
        switch self {
        case .empty(let offset), .tooLong(let offset), .unbalancedParenthesis(let offset),
            .unbalancedBracket(let offset), .emptyClass(let offset), .nonASCIIInClass(let offset),
            .invalidRange(let offset), .emptyAlternative(let offset), .unknownEscape(let offset),
            .trailingBackslash(let offset), .backreference(let offset), .lookaround(let offset),
            .anchor(let offset), .unsupportedGroup(let offset), .misplacedFlag(let offset),
            .nothingToRepeat(let offset), .lazyQuantifier(let offset), .possessiveQuantifier(let offset),
            .invalidRepeat(let offset), .repeatTooLarge(let offset), .tooComplex(let offset),
            .matchesEmpty(let offset):
            return offset
        }
    }

    /// A stable identifier of the problem, such as `unbalanced_parenthesis`.
    public var code: String {
        switch self {
        case .empty: "empty"
        case .tooLong: "too_long"
        case .unbalancedParenthesis: "unbalanced_parenthesis"
        case .unbalancedBracket: "unbalanced_bracket"
        case .emptyClass: "empty_class"
        case .nonASCIIInClass: "non_ascii_in_class"
        case .invalidRange: "invalid_range"
        case .emptyAlternative: "empty_alternative"
        case .unknownEscape: "unknown_escape"
        case .trailingBackslash: "trailing_backslash"
        case .backreference: "backreference"
        case .lookaround: "lookaround"
        case .anchor: "anchor"
        case .unsupportedGroup: "unsupported_group"
        case .misplacedFlag: "misplaced_flag"
        case .nothingToRepeat: "nothing_to_repeat"
        case .lazyQuantifier: "lazy_quantifier"
        case .possessiveQuantifier: "possessive_quantifier"
        case .invalidRepeat: "invalid_repeat"
        case .repeatTooLarge: "repeat_too_large"
        case .tooComplex: "too_complex"
        case .matchesEmpty: "matches_empty"
        }
    }

    /// What is wrong and how to fix it, for the admin who wrote the pattern.
    public var message: String {
        switch self {
        case .empty:
            "The pattern is empty."
        case .tooLong:
            "The pattern is longer than \(TextPattern.maximumLength) characters."
        case .unbalancedParenthesis:
            "This parenthesis has no partner. Escape a literal parenthesis as \\( or \\)."
        case .unbalancedBracket:
            "This bracket has no partner. Escape a literal bracket as \\[ or \\]."
        case .emptyClass:
            "This class matches no character. Escape a literal ] as \\]."
        case .nonASCIIInClass:
            "Classes may only list ASCII characters. Write non-ASCII alternatives with | instead."
        case .invalidRange:
            "A range needs two single characters in order, such as A-Z. Escape a literal - as \\-."
        case .emptyAlternative:
            "This alternative or group is empty. Use ? to make a part optional."
        case .unknownEscape:
            "Unknown escape. Supported: \\d \\w \\s \\D \\W \\S and \\ before one of . - \\ ( ) [ ] { } * + ? | ^ $ /."
        case .trailingBackslash:
            "The pattern ends with a backslash."
        case .backreference:
            "Backreferences are not supported."
        case .lookaround:
            "Lookahead and lookbehind are not supported."
        case .anchor:
            "Anchors and assertions such as ^, $ and \\b are not supported: patterns are searched for anywhere in a "
                + "message, and a match never starts or ends inside a word. Escape a literal ^ or $ as \\^ or \\$."
        case .unsupportedGroup:
            "Only ( ) and (?: ) groups are supported; nothing is captured."
        case .misplacedFlag:
            "(?i) is only allowed at the very start of the pattern."
        case .nothingToRepeat:
            "This quantifier has nothing to repeat. Put a group around what a second quantifier should repeat."
        case .lazyQuantifier:
            "Lazy quantifiers (*?, +?, ??, {n,m}?) are not supported."
        case .possessiveQuantifier:
            "Possessive quantifiers (*+, ++, ?+, {n,m}+) are not supported."
        case .invalidRepeat:
            "A repeat must be {n}, {n,} or {n,m} with n ≤ m and m at least 1. Escape a literal brace as \\{ or \\}."
        case .repeatTooLarge:
            "Repeat counts may be at most \(TextPattern.maximumRepeat)."
        case .tooComplex:
            "The pattern is too complex: it needs more than \(TextPattern.maximumStates) states once repeats are "
                + "expanded."
        case .matchesEmpty:
            "The pattern can match empty text. Make at least one part of it required."
        }
    }

    /// The message and the offset.
    public var description: String { "\(message) (at character \(offset))" }
}

extension TextPattern {
    /// Parses `source` and compiles it to a program that reads the text backwards.
    static func compile(_ source: String) throws(TextPatternError) -> (program: Program, isCaseInsensitive: Bool) {
        var parser = Parser(source)
        let node = try parser.parsePattern()
        let states = 1 + node.stateCount(limit: maximumStates)
        if states > maximumStates {
            throw .tooComplex(offset: node.offsetOfGrowth(beyond: maximumStates - 1))
        }
        var emitter = Emitter()
        let entry = emitter.emit(node.reversed, then: 0)
        assert(emitter.instructions.count == states, "stateCount(limit:) disagrees with the compiler")

        var tables = [UInt8](repeating: 0, count: Program.setsOffset + 256 * emitter.sets.count)
        let first = node.firstBytes
        let last = node.reversed.firstBytes
        for byte in 0...255 {
            tables[Program.firstBytesOffset + byte] = first.contains(UInt8(byte)) ? 1 : 0
            tables[Program.lastBytesOffset + byte] = last.contains(UInt8(byte)) ? 1 : 0
        }
        for (index, set) in emitter.sets.enumerated() {
            for byte in 0...255 where set.contains(UInt8(byte)) {
                tables[Program.setsOffset + index * 256 + byte] = 1
            }
        }
        let program = Program(instructions: emitter.instructions, tables: tables, entry: entry)
        return (program, parser.isCaseInsensitive)
    }
}

// MARK: - Byte sets

/// A set of bytes, as a 256-bit mask.
private struct ByteSet: Hashable {
    private var low: UInt128 = 0
    private var high: UInt128 = 0

    init() {}

    init(_ byte: UInt8) {
        insert(byte)
    }

    init(_ range: ClosedRange<UInt8>) {
        insert(range)
    }

    var isEmpty: Bool { low == 0 && high == 0 }

    func contains(_ byte: UInt8) -> Bool {
        byte < 128 ? low & (1 << byte) != 0 : high & (1 << (byte - 128)) != 0
    }

    mutating func insert(_ byte: UInt8) {
        if byte < 128 { low |= 1 << byte } else { high |= 1 << (byte - 128) }
    }

    mutating func insert(_ range: ClosedRange<UInt8>) {
        for byte in range { insert(byte) }
    }

    mutating func formUnion(_ other: ByteSet) {
        low |= other.low
        high |= other.high
    }

    /// The ASCII bytes not in the set.
    var asciiComplement: ByteSet {
        var result = ByteSet()
        result.low = ~low
        return result
    }

    /// The set with the other case of each ASCII letter in it added.
    var caseFolded: ByteSet {
        var result = self
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") where contains(byte) || contains(byte | 0x20) {
            result.insert(byte)
            result.insert(byte | 0x20)
        }
        return result
    }
}

/// What a class, `.` or a class escape matches: some ASCII characters, and possibly every non-ASCII character.
private struct CharacterClass {
    var ascii = ByteSet()
    var nonASCII = false

    static let digit = CharacterClass(ascii: ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9")))
    static let word: CharacterClass = {
        var set = ByteSet(UInt8(ascii: "A")...UInt8(ascii: "Z"))
        set.insert(UInt8(ascii: "a")...UInt8(ascii: "z"))
        set.insert(UInt8(ascii: "0")...UInt8(ascii: "9"))
        set.insert(UInt8(ascii: "_"))
        return CharacterClass(ascii: set)
    }()
    static let space: CharacterClass = {
        var set = ByteSet(0x09...0x0D)
        set.insert(UInt8(ascii: " "))
        return CharacterClass(ascii: set)
    }()
    static let dot = CharacterClass(ascii: ByteSet(UInt8(ascii: "\n")).asciiComplement, nonASCII: true)

    var inverted: CharacterClass { CharacterClass(ascii: ascii.asciiComplement, nonASCII: !nonASCII) }

    var isEmpty: Bool { ascii.isEmpty && !nonASCII }

    mutating func formUnion(_ other: CharacterClass) {
        ascii.formUnion(other.ascii)
        nonASCII = nonASCII || other.nonASCII
    }
}

// MARK: - Syntax tree

/// A parsed pattern, in bytes: a non-ASCII literal is a sequence of its UTF-8 bytes, and a class that matches
/// non-ASCII characters has an alternative per UTF-8 sequence length. Offsets point into the source, for errors.
private indirect enum Node {
    case byte(ByteSet, offset: Int)
    case sequence([Node], offset: Int)
    case choice([Node], offset: Int)
    case repetition(Node, min: Int, max: Int?, offset: Int)

    var offset: Int {
        switch self {
        case .byte(_, let offset), .sequence(_, let offset), .choice(_, let offset),
            .repetition(_, _, _, let offset):
            offset
        }
    }

    var isNullable: Bool {
        switch self {
        case .byte: false
        case .sequence(let items, _): items.allSatisfy(\.isNullable)
        case .choice(let items, _): items.contains(where: \.isNullable)
        case .repetition(let body, let min, _, _): min == 0 || body.isNullable
        }
    }

    /// The same pattern read backwards.
    var reversed: Node {
        switch self {
        case .byte: self
        case .sequence(let items, let offset): .sequence(items.reversed().map(\.reversed), offset: offset)
        case .choice(let items, let offset): .choice(items.map(\.reversed), offset: offset)
        case .repetition(let body, let min, let max, let offset):
            .repetition(body.reversed, min: min, max: max, offset: offset)
        }
    }

    /// The bytes a match can start with.
    var firstBytes: ByteSet {
        switch self {
        case .byte(let set, _):
            return set
        case .sequence(let items, _):
            var result = ByteSet()
            for item in items {
                result.formUnion(item.firstBytes)
                if !item.isNullable { break }
            }
            return result
        case .choice(let items, _):
            var result = ByteSet()
            for item in items { result.formUnion(item.firstBytes) }
            return result
        case .repetition(let body, _, _, _):
            return body.firstBytes
        }
    }

    /// How many instructions `Emitter` produces for the node, or any number above `limit` once it exceeds it.
    func stateCount(limit: Int) -> Int {
        let cap = limit + 1
        switch self {
        case .byte:
            return 1
        case .sequence(let items, _):
            return items.reduce(0) { min($0 + $1.stateCount(limit: limit), cap) }
        case .choice(let items, _):
            return items.reduce(items.count - 1) { min($0 + $1.stateCount(limit: limit), cap) }
        case .repetition(let body, let low, let high, _):
            let size = body.stateCount(limit: limit)
            guard let high else { return min(low == 0 ? size + 1 : low * size + 1, cap) }
            return min(low * size + (high - low) * (size + 1), cap)
        }
    }

    /// Where the pattern, read left to right, needs more than `available` states: the innermost repeat or
    /// character that crosses the limit.
    func offsetOfGrowth(beyond available: Int) -> Int {
        switch self {
        case .byte:
            return offset
        case .sequence(let items, _), .choice(let items, _):
            var used = 0
            if case .choice = self { used = items.count - 1 }
            for item in items {
                let size = item.stateCount(limit: available)
                if used + size > available { return item.offsetOfGrowth(beyond: max(available - used, 0)) }
                used += size
            }
            return offset
        case .repetition(let body, _, _, _):
            return body.stateCount(limit: available) > available ? body.offsetOfGrowth(beyond: available) : offset
        }
    }
}

// MARK: - Parser

/// A recursive-descent parser over the pattern's Unicode scalars.
private struct Parser {
    /// What a class may hold: one character, which can end a range, or a class escape.
    enum ClassItem {
        case character(UInt8)
        case characters(CharacterClass)
    }

    let scalars: [Unicode.Scalar]
    var index = 0
    var depth = 0
    var isCaseInsensitive = false

    init(_ source: String) {
        scalars = Array(source.unicodeScalars)
    }

    func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        index + ahead < scalars.count ? scalars[index + ahead] : nil
    }

    mutating func parsePattern() throws(TextPatternError) -> Node {
        guard !scalars.isEmpty else { throw .empty(offset: 0) }
        guard scalars.count <= TextPattern.maximumLength else { throw .tooLong(offset: TextPattern.maximumLength) }
        if scalars.starts(with: "(?i)".unicodeScalars) {
            isCaseInsensitive = true
            index = 4
        }
        guard index < scalars.count else { throw .empty(offset: index) }
        let bodyStart = index
        let node = try parseAlternation()
        // Only a `)` stops the top-level alternation early, and `parseSequence` rejects it at depth 0.
        guard index == scalars.count else { throw .unbalancedParenthesis(offset: index) }
        guard !node.isNullable else { throw .matchesEmpty(offset: bodyStart) }
        return node
    }

    mutating func parseAlternation() throws(TextPatternError) -> Node {
        let start = index
        var branches: [Node] = []
        while true {
            let branchStart = index
            let items = try parseSequence()
            guard !items.isEmpty else { throw .emptyAlternative(offset: branchStart) }
            branches.append(items.count == 1 ? items[0] : .sequence(items, offset: branchStart))
            guard peek() == "|" else { break }
            index += 1
        }
        return branches.count == 1 ? branches[0] : .choice(branches, offset: start)
    }

    mutating func parseSequence() throws(TextPatternError) -> [Node] {
        var items: [Node] = []
        while let scalar = peek() {
            let offset = index
            let atom: Node
            switch scalar {
            case "|":
                return items
            case ")":
                guard depth > 0 else { throw .unbalancedParenthesis(offset: offset) }
                return items
            case "(":
                atom = try parseGroup()
            case "[":
                atom = try parseClass()
            case "]":
                throw .unbalancedBracket(offset: offset)
            case "{":
                // A well-formed repeat with nothing before it; a malformed one reports itself.
                _ = try parseBounds()
                throw .nothingToRepeat(offset: offset)
            case "}":
                throw .invalidRepeat(offset: offset)
            case "*", "+", "?":
                throw .nothingToRepeat(offset: offset)
            case "^", "$":
                throw .anchor(offset: offset)
            case ".":
                index += 1
                atom = Self.node(for: .dot, offset: offset)
            case "\\":
                switch try parseEscape() {
                case .character(let byte): atom = literal(Unicode.Scalar(byte), offset: offset)
                case .characters(let characters): atom = Self.node(for: characters, offset: offset)
                }
            default:
                index += 1
                atom = literal(scalar, offset: offset)
            }
            items.append(try parseQuantifier(after: atom))
        }
        return items
    }

    mutating func parseGroup() throws(TextPatternError) -> Node {
        let open = index
        index += 1
        if peek() == "?" {
            switch peek(1) {
            case ":":
                index += 2
            case "=", "!":
                throw .lookaround(offset: open)
            case "<" where peek(2) == "=" || peek(2) == "!":
                throw .lookaround(offset: open)
            case "i" where peek(2) == ")":
                throw .misplacedFlag(offset: open)
            default:
                throw .unsupportedGroup(offset: open)
            }
        }
        depth += 1
        let inner = try parseAlternation()
        depth -= 1
        guard peek() == ")" else { throw .unbalancedParenthesis(offset: open) }
        index += 1
        return inner
    }

    mutating func parseQuantifier(after atom: Node) throws(TextPatternError) -> Node {
        let offset = index
        let bounds: (min: Int, max: Int?)
        switch peek() {
        case "*":
            index += 1
            bounds = (0, nil)
        case "+":
            index += 1
            bounds = (1, nil)
        case "?":
            index += 1
            bounds = (0, 1)
        case "{":
            bounds = try parseBounds()
        default:
            return atom
        }
        switch peek() {
        case "?": throw .lazyQuantifier(offset: index)
        case "+": throw .possessiveQuantifier(offset: index)
        case "*", "{": throw .nothingToRepeat(offset: index)
        default: break
        }
        return .repetition(atom, min: bounds.min, max: bounds.max, offset: offset)
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` at `index`.
    mutating func parseBounds() throws(TextPatternError) -> (min: Int, max: Int?) {
        let open = index
        index += 1
        guard let low = try parseCount() else { throw .invalidRepeat(offset: open) }
        var high: Int? = low
        if peek() == "," {
            index += 1
            if peek() == "}" {
                high = nil
            } else {
                guard let count = try parseCount() else { throw .invalidRepeat(offset: open) }
                high = count
            }
        }
        guard peek() == "}" else { throw .invalidRepeat(offset: open) }
        index += 1
        if let high, high < low || high == 0 { throw .invalidRepeat(offset: open) }
        return (low, high)
    }

    mutating func parseCount() throws(TextPatternError) -> Int? {
        let start = index
        var value = 0
        while let scalar = peek(), scalar.isASCII, let digit = Int(String(scalar)) {
            value = min(value * 10 + digit, TextPattern.maximumRepeat + 1)
            index += 1
        }
        guard index > start else { return nil }
        guard value <= TextPattern.maximumRepeat else { throw .repeatTooLarge(offset: start) }
        return value
    }

    /// Parses a backslash escape at `index`, in or out of a class.
    mutating func parseEscape() throws(TextPatternError) -> ClassItem {
        let offset = index
        guard let scalar = peek(1) else { throw .trailingBackslash(offset: offset) }
        index += 2
        switch scalar {
        case "d": return .characters(.digit)
        case "D": return .characters(CharacterClass.digit.inverted)
        case "w": return .characters(.word)
        case "W": return .characters(CharacterClass.word.inverted)
        case "s": return .characters(.space)
        case "S": return .characters(CharacterClass.space.inverted)
        case ".", "-", "\\", "(", ")", "[", "]", "{", "}", "*", "+", "?", "|", "^", "$", "/":
            return .character(UInt8(scalar.value))
        case "1", "2", "3", "4", "5", "6", "7", "8", "9", "k", "g":
            throw .backreference(offset: offset)
        case "b", "B", "A", "z", "Z", "G":
            throw .anchor(offset: offset)
        default:
            throw .unknownEscape(offset: offset)
        }
    }

    mutating func parseClass() throws(TextPatternError) -> Node {
        let open = index
        index += 1
        let negated = peek() == "^"
        if negated { index += 1 }
        var members = CharacterClass()
        var isFirst = true
        while true {
            guard let scalar = peek() else { throw .unbalancedBracket(offset: open) }
            if scalar == "]" {
                guard !isFirst else { throw .emptyClass(offset: open) }
                index += 1
                break
            }
            let itemOffset = index
            let item = try parseClassItem(isFirst: isFirst)
            isFirst = false
            if case .character(let low) = item, peek() == "-", let after = peek(1), after != "]" {
                index += 1
                guard case .character(let high) = try parseClassItem(isFirst: false), low <= high else {
                    throw .invalidRange(offset: itemOffset)
                }
                members.ascii.insert(low...high)
            } else {
                switch item {
                case .character(let byte): members.ascii.insert(byte)
                case .characters(let characters): members.formUnion(characters)
                }
            }
        }
        if isCaseInsensitive { members.ascii = members.ascii.caseFolded }
        if negated { members = members.inverted }
        guard !members.isEmpty else { throw .emptyClass(offset: open) }
        return Self.node(for: members, offset: open)
    }

    mutating func parseClassItem(isFirst: Bool) throws(TextPatternError) -> ClassItem {
        let offset = index
        guard let scalar = peek() else { throw .unbalancedBracket(offset: offset) }
        switch scalar {
        case "\\":
            return try parseEscape()
        case "[":
            throw .unbalancedBracket(offset: offset)
        case "-":
            // A `-` that could not start or end a range: after a range or a class escape.
            guard isFirst || peek(1) == "]" else { throw .invalidRange(offset: offset) }
        default:
            guard scalar.isASCII else { throw .nonASCIIInClass(offset: offset) }
        }
        index += 1
        return .character(UInt8(scalar.value))
    }

    func literal(_ scalar: Unicode.Scalar, offset: Int) -> Node {
        guard scalar.isASCII else {
            return .sequence(String(scalar).utf8.map { .byte(ByteSet($0), offset: offset) }, offset: offset)
        }
        let set = ByteSet(UInt8(scalar.value))
        return .byte(isCaseInsensitive ? set.caseFolded : set, offset: offset)
    }

    /// The node for a class: one byte for its ASCII members, and whole UTF-8 sequences for non-ASCII characters.
    static func node(for characters: CharacterClass, offset: Int) -> Node {
        var branches: [Node] = []
        if !characters.ascii.isEmpty { branches.append(.byte(characters.ascii, offset: offset)) }
        if characters.nonASCII {
            let continuation = Node.byte(ByteSet(0x80...0xBF), offset: offset)
            let leads: [(ClosedRange<UInt8>, Int)] = [(0xC2...0xDF, 1), (0xE0...0xEF, 2), (0xF0...0xF4, 3)]
            for (lead, length) in leads {
                let bytes = [Node.byte(ByteSet(lead), offset: offset)] + Array(repeating: continuation, count: length)
                branches.append(.sequence(bytes, offset: offset))
            }
        }
        return branches.count == 1 ? branches[0] : .choice(branches, offset: offset)
    }
}

// MARK: - Compiler

/// Turns a node into instructions, last part first, so that each part knows where to continue.
private struct Emitter {
    var instructions = [TextPattern.Program.Instruction(kind: .match, next: 0, other: 0)]
    var sets: [ByteSet] = []
    var setNumbers: [ByteSet: Int32] = [:]

    /// Emits `node` followed by the instruction `next`, and returns the node's first instruction.
    mutating func emit(_ node: Node, then next: Int32) -> Int32 {
        switch node {
        case .byte(let set, _):
            return append(.byte, next: next, other: number(of: set))
        case .sequence(let items, _):
            var entry = next
            for item in items.reversed() { entry = emit(item, then: entry) }
            return entry
        case .choice(let items, _):
            var entry = emit(items[items.count - 1], then: next)
            for item in items.dropLast().reversed() {
                let branch = emit(item, then: next)
                entry = append(.split, next: branch, other: entry)
            }
            return entry
        case .repetition(let body, let low, let high, _):
            var entry = next
            if let high {
                // Optional copies nest, (x(x)?)?, so that each may only follow the one before it.
                for _ in 0..<(high - low) {
                    let copy = emit(body, then: entry)
                    entry = append(.split, next: copy, other: next)
                }
                for _ in 0..<low { entry = emit(body, then: entry) }
            } else {
                let loop = append(.split, next: 0, other: next)
                let copy = emit(body, then: loop)
                instructions[Int(loop)].next = copy
                entry = loop
                if low > 0 {
                    entry = copy
                    for _ in 1..<low { entry = emit(body, then: entry) }
                }
            }
            return entry
        }
    }

    mutating func append(_ kind: TextPattern.Program.Kind, next: Int32, other: Int32) -> Int32 {
        instructions.append(TextPattern.Program.Instruction(kind: kind, next: next, other: other))
        return Int32(instructions.count - 1)
    }

    mutating func number(of set: ByteSet) -> Int32 {
        if let number = setNumbers[set] { return number }
        let number = Int32(sets.count)
        sets.append(set)
        setNumbers[set] = number
        return number
    }
}
