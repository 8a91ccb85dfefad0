/// A pattern a tenant writes, such as an employee id for a PII recognizer (`EMP-\d{6}`) or an order number a flow
/// collects, in a small subset of regular-expression syntax and matched in time linear in the text.
///
/// Patterns come from tenant admins through the API, so they are untrusted input. The engine never backtracks:
/// a pattern compiles to a Thompson automaton of at most ``maximumStates`` states, simulated over the UTF-8
/// bytes of the text with a set of states, so a scan costs at most O(text length × states) whatever the pattern.
///
/// ## Syntax
///
/// - Literal text, non-ASCII included (`Grüße`, `№`), matched as its UTF-8 bytes.
/// - `.` matches any one character (Unicode scalar) except a newline, `\n`.
/// - `\d` matches `0-9`; `\w` matches `A-Z`, `a-z`, `0-9` and `_`; `\s` matches space, `\t`, `\n`, `\v`, `\f` and
///   `\r`. `\D`, `\W` and `\S` match any other character, non-ASCII characters included.
/// - These escaped characters match themselves: `\. \- \\ \( \) \[ \] \{ \} \* \+ \? \| \^ \$ \/`. Any other
///   escape is rejected.
/// - A class, such as `[A-Z0-9_-]`, matches one of the ASCII characters it lists. It may hold ranges, `\d \w \s
///   \D \W \S` and the escapes above; `-` is literal first or last; `]` and `[` must be escaped. `[^…]` matches
///   any character not listed, non-ASCII characters included. A non-ASCII character inside a class is rejected.
/// - Groups `( )` and `(?: )` mean the same: nothing is captured.
/// - Alternation `a|b`. Every alternative must match something: `(a|)` is rejected, write `a?`.
/// - Quantifiers `*`, `+`, `?`, `{n}`, `{n,}` and `{n,m}`, with counts up to ``maximumRepeat``. They are greedy
///   and apply to the character, class or group before them.
/// - `(?i)`, only at the very start, makes ASCII letters match either case. Non-ASCII letters still match exactly.
///
/// Anything else is rejected with a ``TextPatternError`` naming the problem and where it is: anchors and other
/// assertions (`^`, `$`, `\b`), backreferences, lookaround, lazy and possessive quantifiers, named groups and
/// other inline flags. So are patterns longer than ``maximumLength`` characters, patterns that compile to more than
/// ``maximumStates`` states once counted repeats are expanded, and patterns that can match empty text (`a*`,
/// `(x)?`): a pattern that can find zero characters is a configuration mistake.
///
/// ## Matching
///
/// `matches(in:)` returns leftmost-longest matches: reading left to right, the match that starts first, the
/// longest of those, then the next one that starts at or after its end, so matches never overlap.
///
/// A match never starts or ends inside a word. Text is not a match if its first byte is an ASCII letter or digit
/// and so is the byte before it, or if its last byte is an ASCII letter or digit and so is the byte after it; a
/// shorter match that obeys the rule is taken instead if there is one. So `EMP-\d{6}` finds `EMP-123456` in
/// `see EMP-123456.` but nothing in `XEMP-123456` or `EMP-1234567`; `-\d+` finds `-42` in `x-42`, because `-`
/// is not a letter or digit; and `AB(-CD)?` finds `AB` in `AB-CDE`. Underscores and non-ASCII letters do not
/// count as letters here.
///
/// Ranges are UTF-8 byte offsets; in valid UTF-8 they always fall between characters.
public struct TextPattern: Sendable, Hashable {
    /// The longest pattern accepted, in characters (Unicode scalars).
    public static let maximumLength = 512
    /// The largest count a bounded repeat such as `{n,m}` may use.
    public static let maximumRepeat = 100
    /// The most automaton states a pattern may compile to, with counted repeats expanded. This bounds the cost
    /// of matching: scanning a text touches at most this many states per byte.
    public static let maximumStates = 4096

    /// The pattern as the tenant wrote it.
    public let source: String
    /// Whether the pattern starts with `(?i)`, so that ASCII letters match either case.
    public let isCaseInsensitive: Bool
    let program: Program

    /// Parses and compiles a pattern.
    /// - Parameter source: the pattern, in the syntax described on ``TextPattern``.
    /// - Throws: ``TextPatternError`` naming the first problem found and its offset in `source`.
    public init(_ source: String) throws(TextPatternError) {
        let compiled = try Self.compile(source)
        self.source = source
        self.isCaseInsensitive = compiled.isCaseInsensitive
        self.program = compiled.program
    }

    /// Every match in `text`, as UTF-8 byte ranges in increasing order, without overlaps.
    ///
    /// Matches are leftmost-longest and never start or end inside a word; see ``TextPattern`` for the rules.
    public func matches(in text: String) -> [Range<Int>] {
        var text = text
        return text.withUTF8 { matches(in: $0) }
    }

    /// Every match in UTF-8 `bytes`, as byte ranges in increasing order, without overlaps.
    ///
    /// Matches are leftmost-longest and never start or end inside a word; see ``TextPattern`` for the rules. `.`
    /// and negated classes match only well-formed UTF-8 sequences, so they do not match stray bytes of invalid
    /// UTF-8.
    public func matches(in bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        guard !bytes.isEmpty else { return [] }
        return program.instructions.withUnsafeBufferPointer { code in
            program.tables.withUnsafeBufferPointer { tables in
                Scan(text: bytes, code: code, tables: tables, entry: program.entry).run()
            }
        }
    }

    /// Two patterns are equal when their sources are: the compiled program follows from the source.
    public static func == (lhs: TextPattern, rhs: TextPattern) -> Bool {
        lhs.source == rhs.source
    }

    /// Hashes the source, which determines the compiled program.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
    }
}

extension TextPattern {
    /// A compiled pattern: an automaton for the pattern read backwards, and byte tables.
    ///
    /// The automaton runs from the end of the text to its start. Reading backwards, a thread that reaches the
    /// match instruction at a position has found a match starting there, and keeping only the thread that came
    /// from the furthest end in each state gives the longest match from every start in one pass. Choosing the
    /// leftmost-longest matches from those is then a walk over the starts: linear overall, with no rescanning
    /// after a match, which a forward scan restarted at each match end cannot promise.
    struct Program: Sendable {
        enum Kind: UInt8, Sendable {
            /// Consumes one byte of the set `other`, then goes to `next`.
            case byte
            /// Goes to both `next` and `other` without consuming anything.
            case split
            /// A match starts here.
            case match
        }

        struct Instruction: Sendable {
            var kind: Kind
            var next: Int32
            var other: Int32
        }

        /// Instruction 0 is the match instruction.
        var instructions: [Instruction]
        /// 256 flags for the bytes a match can start with, 256 for the bytes it can end with, then 256 flags for
        /// each byte set the instructions use.
        var tables: [UInt8]
        /// Where threads start, at a position where a match may end.
        var entry: Int32

        static let firstBytesOffset = 0
        static let lastBytesOffset = 256
        static let setsOffset = 512
    }
}

/// Whether a byte is an ASCII letter or digit: a match must not start or end between two of these.
@inline(__always) private func isWordByte(_ byte: UInt8) -> Bool {
    byte &- 0x30 < 10 || (byte | 0x20) &- 0x61 < 26
}

/// One scan of a text with a compiled program.
private struct Scan {
    let text: UnsafeBufferPointer<UInt8>
    let code: UnsafeBufferPointer<TextPattern.Program.Instruction>
    let tables: UnsafeBufferPointer<UInt8>
    let entry: Int32

    func run() -> [Range<Int>] {
        let count = text.count
        let firstBytes = TextPattern.Program.firstBytesOffset
        let lastBytes = TextPattern.Program.lastBytesOffset
        // Nothing can start before the first byte a match can start with, nor end after the last byte a match
        // can end with: both ends of the text are skipped without running the automaton.
        var lowest = 0
        while lowest < count && tables[firstBytes + Int(text[lowest])] == 0 { lowest += 1 }
        var position = count
        while position > lowest && tables[lastBytes + Int(text[position - 1])] == 0 { position -= 1 }
        guard position > lowest else { return [] }

        let states = code.count
        let starts = withUnsafeTemporaryAllocation(of: Int32.self, capacity: 3 * states) { pcs in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * states) { ints in
                ints.initialize(repeating: 0)
                return longestMatches(from: position, downTo: lowest, pcs: pcs, ints: ints)
            }
        }

        // `starts` runs from the last start to the first: take leftmost-longest matches that do not overlap.
        var result: [Range<Int>] = []
        var end = 0
        for match in starts.reversed() where match.lowerBound >= end {
            result.append(match)
            end = match.upperBound
        }
        return result
    }

    /// The longest match from every position where one starts, from the last position to the first.
    ///
    /// - Parameters:
    ///   - pcs: room for two thread lists and a stack of instruction numbers, one slot per state each.
    ///   - ints: room for the ends of the threads in both lists and a mark per state, zeroed.
    private func longestMatches(
        from top: Int,
        downTo lowest: Int,
        pcs: UnsafeMutableBufferPointer<Int32>,
        ints: UnsafeMutableBufferPointer<Int>
    ) -> [Range<Int>] {
        let count = text.count
        let states = code.count
        let lastBytes = TextPattern.Program.lastBytesOffset
        var current = Threads(pcs: pcs.baseAddress!, ends: ints.baseAddress!)
        var next = Threads(pcs: pcs.baseAddress! + states, ends: ints.baseAddress! + states)
        let stack = pcs.baseAddress! + 2 * states
        let marks = ints.baseAddress! + 2 * states
        // States whose mark equals `mark` are in the list being built; bumping it empties the list in O(1).
        var mark = 1
        var found: [Range<Int>] = []
        var position = top

        while true {
            // A match may end here: start a thread, after those already running, which all come from further
            // right and so have priority.
            if position > lowest, tables[lastBytes + Int(text[position - 1])] != 0,
                !(position < count && isWordByte(text[position]) && isWordByte(text[position - 1]))
            {
                var unused = -1
                add(entry, end: position, to: &current, stack: stack, marks: marks, mark: mark, matchEnd: &unused)
            }
            if current.count == 0 {
                position -= 1
                while position > lowest && tables[lastBytes + Int(text[position - 1])] == 0 { position -= 1 }
                if position <= lowest { break }
                mark += 1
                continue
            }
            if position == lowest { break }

            let byte = Int(text[position - 1])
            mark += 1
            next.count = 0
            var matchEnd = -1
            for index in 0..<current.count {
                let instruction = code[Int(current.pcs[index])]
                if tables[TextPattern.Program.setsOffset + (Int(instruction.other) << 8) + byte] != 0 {
                    add(
                        instruction.next,
                        end: current.ends[index],
                        to: &next,
                        stack: stack,
                        marks: marks,
                        mark: mark,
                        matchEnd: &matchEnd
                    )
                }
            }
            position -= 1
            if matchEnd >= 0 && !(position > 0 && isWordByte(text[position]) && isWordByte(text[position - 1])) {
                found.append(position..<matchEnd)
            }
            swap(&current, &next)
        }
        return found
    }

    /// Adds the thread at `pc` and every state reachable from it without consuming a byte. Only byte
    /// instructions are kept in the list; reaching the match instruction records `end` if nothing with a later
    /// end reached it first.
    @inline(__always)
    private func add(
        _ pc: Int32,
        end: Int,
        to threads: inout Threads,
        stack: UnsafeMutablePointer<Int32>,
        marks: UnsafeMutablePointer<Int>,
        mark: Int,
        matchEnd: inout Int
    ) {
        guard marks[Int(pc)] != mark else { return }
        marks[Int(pc)] = mark
        stack[0] = pc
        var top = 1
        while top > 0 {
            top -= 1
            let pc = stack[top]
            let instruction = code[Int(pc)]
            switch instruction.kind {
            case .byte:
                threads.pcs[threads.count] = pc
                threads.ends[threads.count] = end
                threads.count += 1
            case .split:
                if marks[Int(instruction.next)] != mark {
                    marks[Int(instruction.next)] = mark
                    stack[top] = instruction.next
                    top += 1
                }
                if marks[Int(instruction.other)] != mark {
                    marks[Int(instruction.other)] = mark
                    stack[top] = instruction.other
                    top += 1
                }
            case .match:
                if matchEnd < 0 { matchEnd = end }
            }
        }
    }
}

/// A list of threads: byte instructions and where the match each belongs to ends, in order of priority.
private struct Threads {
    let pcs: UnsafeMutablePointer<Int32>
    let ends: UnsafeMutablePointer<Int>
    var count = 0
}
