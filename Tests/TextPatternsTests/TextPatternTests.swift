import TextPatterns
import Testing

@Suite struct TextPatternTests {
    /// The texts of the matches of `pattern` in `text`.
    func found(_ pattern: String, in text: String) throws -> [String] {
        let bytes = Array(text.utf8)
        return try TextPattern(pattern).matches(in: text).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    // MARK: Constructs

    @Test func literals() throws {
        #expect(try found("cat", in: "a cat sat") == ["cat"])
        #expect(try found("EMP-", in: "id EMP-1") == ["EMP-"])
        #expect(try found("a b", in: "xa b a b") == ["a b"])
        #expect(try found("cat", in: "a dog").isEmpty)
        #expect(try TextPattern("cat").matches(in: "").isEmpty)
    }

    @Test func classEscapes() throws {
        #expect(try found(#"\d{3}"#, in: "call 555 or 1234") == ["555"])
        #expect(try found(#"\w+@\w+"#, in: "mail a_b@host9 now") == ["a_b@host9"])
        #expect(try found(#"a\sb"#, in: "a b a\tb a\nb ab") == ["a b", "a\tb", "a\nb"])
        #expect(try found(#"x\Dy"#, in: "x-y x1y xéy") == ["x-y", "xéy"])
        #expect(try found(#"a\Wb"#, in: "a b a_b aéb a1b") == ["a b", "aéb"])
        #expect(try found(#"<\S>"#, in: "< > <é> <a> <🙂>") == ["<é>", "<a>", "<🙂>"])
    }

    @Test func escapedPunctuationMatchesItself() throws {
        #expect(try found(#"\.\-\\\(\)\[\]\{\}\*\+\?\|\^\$\/"#, in: #"x .-\()[]{}*+?|^$/ y"#) == [#".-\()[]{}*+?|^$/"#])
        #expect(try found(#"\(\d{3}\) \d{3}-\d{4}"#, in: "call (415) 555-2671 today") == ["(415) 555-2671"])
        #expect(try found(#"v\d\.\d"#, in: "v1.2 v1x2") == ["v1.2"])
    }

    @Test func dotMatchesOneCharacterButNotANewline() throws {
        #expect(try found("a.c", in: "abc a-c aéc a\nc") == ["abc", "a-c", "aéc"])
        #expect(try found("<.>", in: "<🙂> <€> <>") == ["<🙂>", "<€>"])
        // A character, never part of one: the range ends after the whole of `é`.
        #expect(try TextPattern("x.").matches(in: "xé") == [0..<3])
    }

    @Test func classes() throws {
        #expect(try found("[A-Z0-9_-]+", in: "id: AB_12-X ok") == ["AB_12-X"])
        #expect(try found("[-a]+", in: "x -a- y") == ["-a-"])
        #expect(try found("[a-]+", in: "x -a- y") == ["-a-"])
        #expect(try found(#"[\d.]+"#, in: "version 1.2.3 here") == ["1.2.3"])
        #expect(try found(#"[\]\[]"#, in: "a ] b [") == ["]", "["])
        #expect(try found("[.*+?(){}|$^/]+", in: "a .*+?(){}|$^/ b") == [".*+?(){}|$^/"])
        #expect(try found("[!--]+", in: "a !\"#$%&'()*+,- b") == ["!\"#$%&'()*+,-"])
    }

    @Test func negatedClassesMatchNonASCIICharacters() throws {
        #expect(try found("[^,]+", in: "a,b c,d") == ["a", "b c", "d"])
        #expect(try found("<[^>]+>", in: "<héllo> <🙂>") == ["<héllo>", "<🙂>"])
        #expect(try found(#"[^\D]+"#, in: "ab 42 cd") == ["42"])
        #expect(try found("[^a-z ]+", in: "abc ÄÖÜ def") == ["ÄÖÜ"])
    }

    @Test func groupsAndAlternation() throws {
        #expect(try found("gr(a|e)y", in: "gray grey groy") == ["gray", "grey"])
        #expect(try found("(?:ab|cd)+x", in: "abcdx cdx abx x") == ["abcdx", "cdx", "abx"])
        #expect(try found("cat|dog|bird", in: "dog, cat, fish, bird") == ["dog", "cat", "bird"])
        #expect(try found("a(b(c|d))e", in: "abce abde abe") == ["abce", "abde"])
    }

    @Test func quantifiers() throws {
        #expect(try found("ab*c", in: "ac abc abbbc") == ["ac", "abc", "abbbc"])
        #expect(try found("ab+c", in: "ac abc abbbc") == ["abc", "abbbc"])
        #expect(try found("ab?c", in: "ac abc abbc") == ["ac", "abc"])
        #expect(try found("a{2}", in: "a aa aaa") == ["aa"])
        #expect(try found("a{2,}", in: "a aa aaa") == ["aa", "aaa"])
        #expect(try found("a{1,2}", in: "a aa aaa") == ["a", "aa"])
        #expect(try found("(ab){2,3}", in: "ab abab ababab abababab") == ["abab", "ababab"])
        #expect(try found("x(ab){0,2}y", in: "xy xaby xababy xabababy") == ["xy", "xaby", "xababy"])
        #expect(try found(#"EMP-\d{6}"#, in: "ticket for EMP-123456, thanks") == ["EMP-123456"])
    }

    @Test func caseInsensitiveFlag() throws {
        #expect(try found(#"(?i)emp-\d{3}"#, in: "EMP-123 emp-456 Emp-789") == ["EMP-123", "emp-456", "Emp-789"])
        #expect(try found(#"emp-\d{3}"#, in: "EMP-123 emp-456 Emp-789") == ["emp-456"])
        #expect(try found("(?i)[a-c]+", in: "ABC abc xyz") == ["ABC", "abc"])
        #expect(try found("(?i)x[^a]x", in: "xAx xax xbx") == ["xbx"])
        // Only ASCII letters fold.
        #expect(try found("(?i)café", in: "CAFÉ Café café") == ["Café", "café"])
        #expect(try TextPattern("(?i)a").isCaseInsensitive)
        #expect(try !TextPattern("a").isCaseInsensitive)
    }

    // MARK: Matching rules

    @Test func leftmostThenLongest() throws {
        #expect(try found(#"\d{3}|\d{3}-\d{4}"#, in: "call 555-2671 now") == ["555-2671"])
        #expect(try found("ab|abcd", in: "abcd") == ["abcd"])
        #expect(try found("abcd|ab", in: "abcd") == ["abcd"])
        // The match that starts first wins even when a later one would be longer.
        #expect(try found("b-c-d|a-b", in: "a-b-c-d") == ["a-b"])
        #expect(try found(#"x-\d+|\d+-\d+-\d+"#, in: "x-1-2-3") == ["x-1"])
    }

    @Test func matchesDoNotOverlap() throws {
        #expect(try found(#"\d-\d"#, in: "1-2-3-4") == ["1-2", "3-4"])
        #expect(try found("--", in: "------") == ["--", "--", "--"])
        #expect(try found("x-x", in: "x-x-x") == ["x-x"])
        #expect(try TextPattern("--").matches(in: "-----") == [0..<2, 2..<4])
    }

    @Test func matchesNeverStartOrEndInsideAWord() throws {
        let employee = #"EMP-\d{6}"#
        #expect(try found(employee, in: "XEMP-1234567").isEmpty)
        #expect(try found(employee, in: "XEMP-123456").isEmpty)
        #expect(try found(employee, in: "EMP-1234567").isEmpty)
        #expect(try found(employee, in: "(EMP-123456)") == ["EMP-123456"])
        #expect(try found(employee, in: "EMP-123456") == ["EMP-123456"])
        // Only ASCII letters and digits count: underscores and accented letters do not.
        #expect(try found(employee, in: "_EMP-123456_ éEMP-654321é") == ["EMP-123456", "EMP-654321"])
        // The rule is about the bytes at the ends of the match: `-` is not a letter or digit.
        #expect(try found(#"-\d+"#, in: "x-42") == ["-42"])
        #expect(try found(#"\d+-"#, in: "42-x") == ["42-"])
        // A shorter match is taken when the longest would end inside a word.
        #expect(try found("AB(-CD)?", in: "AB-CDE") == ["AB"])
        #expect(try found(#"\d{3,5}"#, in: "1234567").isEmpty)
        #expect(try found(#"\d{3,5}"#, in: "12345") == ["12345"])
    }

    @Test func utf8LiteralsAndByteOffsets() throws {
        let text = "Grüße 🙂 EMP-123456 née"
        #expect(try TextPattern(#"EMP-\d{6}"#).matches(in: text) == [13..<23])
        #expect(try TextPattern("née").matches(in: text) == [24..<28])
        #expect(try TextPattern("Grüße").matches(in: text) == [0..<7])
        #expect(try found("🙂+", in: "a 🙂🙂🙂 b") == ["🙂🙂🙂"])
        #expect(try found("(?:ü|ö)+", in: "x üöü y") == ["üöü"])
        #expect(try found("№ ?\\d+", in: "policy № 4711") == ["№ 4711"])
    }

    @Test func byteBufferAPIMatchesTheStringAPI() throws {
        let pattern = try TextPattern(#"(?i)pol-[a-z]{2}\d{4}"#)
        let text = "Policies: POL-ab1234, pol-CD5678; not xpol-ef9012."
        let fromBytes = Array(text.utf8).withUnsafeBufferPointer { pattern.matches(in: $0) }
        #expect(fromBytes == pattern.matches(in: text))
        #expect(fromBytes.count == 2)
    }

    @Test func invalidUTF8IsNotMatchedByDot() throws {
        let pattern = try TextPattern("<.>")
        #expect([UInt8]([0x3C, 0x80, 0x3E]).withUnsafeBufferPointer { pattern.matches(in: $0) }.isEmpty)
        #expect([UInt8]([0x3C, 0xC3, 0x3E]).withUnsafeBufferPointer { pattern.matches(in: $0) }.isEmpty)
        #expect([UInt8]([0x3C, 0xC3, 0xA9, 0x3E]).withUnsafeBufferPointer { pattern.matches(in: $0) } == [0..<4])
    }

    @Test func pathologicalPatternsRunInLinearTime() throws {
        let run = String(repeating: "a", count: 30_000)
        for source in ["(a|aa)+b", "(a+)+b", "(a*)*b", "(a|a)+b"] {
            let pattern = try TextPattern(source)
            #expect(pattern.matches(in: run).isEmpty, "\(source)")
            #expect(pattern.matches(in: run + "b") == [0..<30_001], "\(source)")
        }
        let classic = try TextPattern("(a?){30}a{30}")
        #expect(classic.matches(in: String(repeating: "a", count: 30)) == [0..<30])
        #expect(classic.matches(in: run).isEmpty)
        // Each short match has a long tail that never completes; none of it may be scanned twice.
        let words = String(repeating: "a ", count: 15_000)
        #expect(try TextPattern("a|a[^x]*x").matches(in: words).count == 15_000)
    }

    @Test func equalSourcesAreEqualPatterns() throws {
        #expect(try TextPattern(#"EMP-\d{6}"#) == TextPattern(#"EMP-\d{6}"#))
        #expect(try TextPattern(#"EMP-\d{6}"#) != TextPattern(#"EMP-\d{5}"#))
        #expect(try Set([TextPattern("a"), TextPattern("a"), TextPattern("b")]).count == 2)
    }

    @Test func limitsAreInclusive() throws {
        #expect(try TextPattern(String(repeating: "a", count: TextPattern.maximumLength)).matches(in: "a").isEmpty)
        #expect(throws: TextPatternError.tooLong(offset: 512)) {
            try TextPattern(String(repeating: "a", count: TextPattern.maximumLength + 1))
        }
        #expect(try found("a{100}", in: String(repeating: "a", count: 100)).count == 1)
        // 4,095 states and the match instruction; one more is too many.
        let largest = String(repeating: #"\d{100}"#, count: 40) + #"\d{95}"#
        #expect(try TextPattern(largest).matches(in: "1234").isEmpty)
        #expect(throws: TextPatternError.tooComplex(offset: 282)) {
            try TextPattern(String(repeating: #"\d{100}"#, count: 40) + #"\d{96}"#)
        }
    }

    // MARK: Rejections

    @Test(arguments: [
        ("", TextPatternError.empty(offset: 0)),
        ("(?i)", .empty(offset: 4)),
        ("(ab", .unbalancedParenthesis(offset: 0)),
        ("a(b(c)", .unbalancedParenthesis(offset: 1)),
        ("ab)", .unbalancedParenthesis(offset: 2)),
        ("[ab", .unbalancedBracket(offset: 0)),
        ("ab]", .unbalancedBracket(offset: 2)),
        ("[a[b]", .unbalancedBracket(offset: 2)),
        ("[]a]", .emptyClass(offset: 0)),
        ("[^]", .emptyClass(offset: 0)),
        (#"[^\d\D]"#, .emptyClass(offset: 0)),
        ("x[é]", .nonASCIIInClass(offset: 2)),
        ("[z-a]", .invalidRange(offset: 1)),
        (#"[a-\d]"#, .invalidRange(offset: 1)),
        ("[a-z-0]", .invalidRange(offset: 4)),
        (#"[\d-z]"#, .invalidRange(offset: 3)),
        ("a|", .emptyAlternative(offset: 2)),
        ("|a", .emptyAlternative(offset: 0)),
        ("a||b", .emptyAlternative(offset: 2)),
        ("a()b", .emptyAlternative(offset: 2)),
        ("(?:)a", .emptyAlternative(offset: 3)),
        (#"\q"#, .unknownEscape(offset: 0)),
        (#"ab\n"#, .unknownEscape(offset: 2)),
        (#"[\x]"#, .unknownEscape(offset: 1)),
        (#"ab\"#, .trailingBackslash(offset: 2)),
        (#"(a)\1"#, .backreference(offset: 3)),
        (#"(?:a)\k<x>"#, .backreference(offset: 5)),
        ("a(?=b)", .lookaround(offset: 1)),
        ("a(?!b)", .lookaround(offset: 1)),
        ("(?<=a)b", .lookaround(offset: 0)),
        ("(?<!a)b", .lookaround(offset: 0)),
        ("^abc", .anchor(offset: 0)),
        ("abc$", .anchor(offset: 3)),
        (#"\bab"#, .anchor(offset: 0)),
        (#"ab\z"#, .anchor(offset: 2)),
        ("(?<name>a)", .unsupportedGroup(offset: 0)),
        ("(?P<n>a)", .unsupportedGroup(offset: 0)),
        ("(?i:a)", .unsupportedGroup(offset: 0)),
        ("(?m)a", .unsupportedGroup(offset: 0)),
        ("a(?i)b", .misplacedFlag(offset: 1)),
        ("(?i)(?i)a", .misplacedFlag(offset: 4)),
        ("*a", .nothingToRepeat(offset: 0)),
        ("a|+b", .nothingToRepeat(offset: 2)),
        ("(?:?a)", .nothingToRepeat(offset: 3)),
        ("a**", .nothingToRepeat(offset: 2)),
        ("{2}a", .nothingToRepeat(offset: 0)),
        ("a{2}{3}", .nothingToRepeat(offset: 4)),
        ("a*?", .lazyQuantifier(offset: 2)),
        ("a+?b", .lazyQuantifier(offset: 2)),
        ("a??", .lazyQuantifier(offset: 2)),
        ("a{2,3}?", .lazyQuantifier(offset: 6)),
        ("a*+", .possessiveQuantifier(offset: 2)),
        ("a++b", .possessiveQuantifier(offset: 2)),
        ("a?+", .possessiveQuantifier(offset: 2)),
        ("a{", .invalidRepeat(offset: 1)),
        ("a{2", .invalidRepeat(offset: 1)),
        ("a{x}", .invalidRepeat(offset: 1)),
        ("a{,3}", .invalidRepeat(offset: 1)),
        ("a{3,2}", .invalidRepeat(offset: 1)),
        ("a{0}", .invalidRepeat(offset: 1)),
        ("a{0,0}", .invalidRepeat(offset: 1)),
        ("a}", .invalidRepeat(offset: 1)),
        ("a{101}", .repeatTooLarge(offset: 2)),
        ("a{1,101}", .repeatTooLarge(offset: 4)),
        ("a{99999999999999999999999}", .repeatTooLarge(offset: 2)),
        (#"(\d{100}){100}"#, .tooComplex(offset: 9)),
        (".{100}.{100}.{100}.{100}", .tooComplex(offset: 19)),
        ("((((a{10}){10}){10}){10})", .tooComplex(offset: 20)),
        ("a*", .matchesEmpty(offset: 0)),
        ("(x)?", .matchesEmpty(offset: 0)),
        ("(?i)a?b*", .matchesEmpty(offset: 4)),
        ("(a|b?)", .matchesEmpty(offset: 0)),
        ("(a*)+", .matchesEmpty(offset: 0)),
        ("x{0,3}", .matchesEmpty(offset: 0)),
    ])
    func rejects(source: String, error: TextPatternError) {
        #expect(throws: error) { try TextPattern(source) }
    }

    @Test func errorsSayWhatAndWhere() {
        let error = TextPatternError.unbalancedParenthesis(offset: 7)
        #expect(error.offset == 7)
        #expect(error.code == "unbalanced_parenthesis")
        #expect(error.message.contains("parenthesis"))
        #expect(error.description.contains("7"))
        #expect(TextPatternError.repeatTooLarge(offset: 0).message.contains("\(TextPattern.maximumRepeat)"))
    }
}
