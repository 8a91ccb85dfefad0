import Crypto
import Foundation
import SecurityHub
import Testing

@Suite struct PIIRecognizerTests {
    func found(_ detector: PIIDetector, _ text: String) -> [String] {
        let bytes = Array(text.utf8)
        return detector.detect(text).map { "\($0.entity.rawValue)=\(String(decoding: bytes[$0.range], as: UTF8.self))" }
    }

    @Test func patternsContextAndDenyList() throws {
        let employee = try PIIRecognizer(PIIRecognizerDefinition(
            name: "employees", entity: try #require(PIIEntity(rawValue: "employee_id")), patterns: [#"EMP-\d{6}"#],
            denyList: ["Project Falcon"], contextWords: ["employee", "staff"], score: 0.5
        ))
        let detector = PIIDetector(recognizers: [employee])
        #expect(found(detector, "staff member EMP-123456 on project falcon, mail a@b.io")
            == ["employee_id=EMP-123456", "employee_id=project falcon", "email=a@b.io"])
        #expect(found(detector, "XEMP-123456 and EMP-1234567 are not ids").isEmpty)
        let scores = detector.detect("employee EMP-123456, and much later in a long and unrelated sentence, EMP-654321").map(\.score)
        #expect(scores == [0.8, 0.5])
        // Context required: without a context word nothing counts.
        var strict = employee.definition
        strict.contextRequired = true
        let strictDetector = PIIDetector(recognizers: [try PIIRecognizer(strict)])
        #expect(found(strictDetector, "ref EMP-123456") == [])
        #expect(found(strictDetector, "EMP-123456 is our employee") == ["employee_id=EMP-123456"])
    }

    @Test func definitionsAreValidatedWithPointers() {
        let bad = PIIRecognizerDefinition(
            name: "bad", entity: .phone, patterns: [#"\d{3}"#, "(a|b", "a*"], denyList: [" "],
            contextWords: [], contextRequired: true, score: 2
        )
        let pointers = bad.problems.map(\.pointer)
        #expect(pointers == ["/patterns/1", "/patterns/2", "/denyList/0", "/contextRequired", "/score"])
        #expect(PIIRecognizerDefinition(name: "empty", entity: .phone).problems.map(\.pointer) == ["/patterns"])
        #expect(throws: PIIRecognizer.Invalid.self) { try PIIRecognizer(bad) }
    }

    @Test func allowListAndDisabledEntities() {
        let policy = PIIPolicy(disabledEntities: [.ipAddress], allowList: ["support@acme.example"])
        let detector = policy.detector(recognizers: [])
        #expect(found(detector, "write support@acme.example or ann@acme.example from 10.0.0.1") == ["email=ann@acme.example"])
    }

    @Test func modelMaskingRoundTripsAndStreams() {
        var masking = ModelMasking(detector: PIIDetector())
        let prompt = masking.mask("Email ann@example.com and ann@example.com, call +44 20 7946 0958.")
        #expect(prompt == "Email <EMAIL_1> and <EMAIL_1>, call <PHONE_1>.")
        let reply = "I wrote to <EMAIL_1> and will call <PHONE_1>; <EMAIL_9> is unknown."
        #expect(masking.unmask(reply) == "I wrote to ann@example.com and will call +44 20 7946 0958; <EMAIL_9> is unknown.")
        var stream = ModelMasking.Stream(masking)
        let chunks = ["I wrote to <EM", "AIL_1> and", " <PHO", "NE_1>", " 1 < 2"]
        let streamed = chunks.map { stream.next($0) }.joined() + stream.finish()
        #expect(streamed == "I wrote to ann@example.com and +44 20 7946 0958 1 < 2")
    }

    @Test func policiesEncodeOperatorsAsObjects() throws {
        let policy = PIIPolicy(operators: ["credit_card": .partial(keep: 4), "email": .keyedHash], maskBeforeModels: true)
        let data = try JSONEncoder().encode(policy)
        #expect(try JSONDecoder().decode(PIIPolicy.self, from: data) == policy)
        let masker = policy.masker(tenantKey: SymmetricKey(size: .bits256), recognizers: [])
        #expect(masker.mask("card 4111 1111 1111 1111") == "card ****1111")
    }
}
