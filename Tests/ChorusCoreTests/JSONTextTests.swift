import ChorusCore
import Foundation
import Testing

@Suite struct JSONTextTests {
    /// The reader agrees with Foundation's decoder on what it accepts and what it reads.
    @Test(arguments: [
        #"{"a": [1, -2.5, 3e2, 0, -0.0, 1E-7], "b": {"c": null, "d": true, "e": false}, "f": ""}"#,
        #"  "text with \"quotes\", \\ backslash, \/ slash, \n\t\r\b\f and \u00e9 \ud83d\ude00 é 😀"  "#,
        "[]", "{}", "[[[[]]]]", "12345678901234567", "\"\"", "null",
    ])
    func readsWhatFoundationReads(_ text: String) throws {
        let ours = try #require(JSONValue.read(Data(text.utf8)))
        let theirs = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(ours == theirs)
        // And what it writes reads back the same.
        #expect(JSONValue.read(ours.jsonData) == ours)
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nulll", "\"open",
        "\"bad \\x escape\"", "\"lone \\ud800 surrogate\"", "\"raw \u{01} control\"", "{\"a\" 1}", "[1 2]", "1 2",
        "\u{FEFF}{}", "NaN", "1e999",
    ])
    func refusesWhatIsNotOneDocument(_ text: String) {
        #expect(JSONValue.read(Data(text.utf8)) == nil, "\(text.debugDescription)")
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect(JSONValue.read(Data([0x22, 0xC3, 0x28, 0x22])) == nil)
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(JSONValue.read(Data(deep.utf8)) == nil)
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(JSONValue.read(Data(fine.utf8)) != nil)
    }

    @Test func writesCompactSortedText() {
        let value = JSONValue.object([
            "z": .number(1), "a": .array([.number(2.5), .number(-3), .null, .bool(true)]),
            "m": .string("line\nbreak \"q\" / \u{1} é"), "big": .number(1e21), "tiny": .number(0.000001),
            "bad": .number(.infinity),
        ])
        #expect(value.jsonText == #"{"a":[2.5,-3,null,true],"bad":null,"big":1e+21,"m":"line\nbreak \"q\" / \u0001 é","tiny":1e-06,"z":1}"#)
        #expect(JSONValue.read(Data(#"{"k": 1, "k": 2}"#.utf8)) == .object(["k": .number(2)]))
    }
}

@Suite struct SmallHelperTests {
    @Test func pointerTokensAreEscapedOnlyWhenTheyNeedIt() {
        #expect(JSONPointer.escape("messages") == "messages")
        #expect(JSONPointer.escape("a/b~c") == "a~1b~0c")
        #expect(JSONPointer.escape("~/é") == "~0~1é")
        #expect(JSONPointer.appending("/messages", "0") == "/messages/0")
    }

    @Test func trimmingWhitespaceAgreesWithFoundation() {
        for text in ["", "  ", "plain", "  both ends \n", "\t\r\nx", "x\u{2028}", "\u{a0}\u{3000}é\u{85}", "in  side", "😀 "] {
            #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
            #expect(text[...].trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    @Test func randomUUIDsAreVersion4AndDistinct() {
        let ids = (0..<1000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let text = id.uuidString
            #expect(Array(text)[14] == "4")
            #expect("89AB".contains(Array(text)[19]))
            #expect(id.compactHex == text.replacingOccurrences(of: "-", with: "").lowercased())
        }
    }
}
