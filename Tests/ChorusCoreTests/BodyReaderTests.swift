import ChorusCore
import Foundation
import Testing

@Suite struct BodyReaderTests {
    func problem(_ json: String, read: (BodyReader) -> Void) throws -> Problem? {
        let reader = try BodyReader(data: Data(json.utf8))
        read(reader)
        do {
            try reader.finish()
            return nil
        } catch let problem as Problem {
            return problem
        }
    }

    @Test func everyProblemIsReportedAtOnceWithItsPointer() throws {
        let problem = try #require(
            try problem(#"{"name": "", "age": "x", "owner": {"email": "nope", "extra": 1}, "tags": ["a", 2], "bogus": true}"#) { body in
                _ = body.string("name")
                _ = body.integer("age", range: 0...150)
                _ = body.object("owner") { owner in owner.email("email") }
                _ = body.stringArray("tags")
                _ = body.string("missing")
            }
        )
        #expect(problem.status == 422)
        #expect(problem.code == "validation")
        let pointers = Set((problem.errors ?? []).map(\.pointer))
        #expect(pointers == ["/name", "/age", "/owner/email", "/owner/extra", "/tags/1", "/missing", "/bogus"])
    }

    @Test func pointersEscapeSlashAndTilde() throws {
        let problem = try #require(try problem(#"{"a/b~c": 1}"#) { _ in })
        #expect(problem.errors?.first?.pointer == "/a~1b~0c")
    }

    @Test func nonJSONAndNonObjectsAreClearErrors() throws {
        #expect(throws: Problem.self) { _ = try BodyReader(data: Data("{not json".utf8)) }
        let problem = try #require(try problem("[1,2]") { _ in })
        #expect(problem.errors?.first?.pointer == "")
    }

    @Test func validValuesAreReturnedTrimmedAndTyped() throws {
        let reader = try BodyReader(data: Data(#"{"email": " Ann@Example.COM ", "n": 3, "when": "2026-01-31T12:00:00Z", "role": "b"}"#.utf8))
        enum Letter: String, CaseIterable { case a, b }
        #expect(reader.email("email") == "ann@example.com")
        #expect(reader.integer("n", range: 1...5) == 3)
        #expect(reader.timestamp("when") == Date(timeIntervalSince1970: 1_769_860_800))
        #expect(reader.choice("role", as: Letter.self) == .b)
        try reader.finish()
    }

    @Test func arraysOfObjectsPointIntoEachElement() throws {
        var seen: [[Int?]] = []
        let problem = try #require(
            try problem(#"{"arms": [{"version": 1}, 3, {"version": "x", "odd": 1}], "raw": [1, {"a": null}]}"#) { body in
                seen.append((body.objects("arms") { _, arm in arm.integer("version", range: 1...9) } ?? []))
                #expect(body.json("raw") == .array([.number(1), .object(["a": .null])]))
            }
        )
        #expect(seen == [[1, nil, nil]])
        let pointers = (problem.errors ?? []).map(\.pointer)
        #expect(pointers == ["/arms/1", "/arms/2/version", "/arms/2/odd"])
    }

    @Test func emailSyntax() {
        for good in ["a@b.co", "first.last+tag@example.org"] { #expect(EmailAddress.isValid(good)) }
        for bad in ["", "a", "a@", "@b.co", "a@b", "a b@c.de", "a@b..co", "a@.b.co", "a@b.co."] {
            #expect(!EmailAddress.isValid(bad), "\(bad)")
        }
    }
}
