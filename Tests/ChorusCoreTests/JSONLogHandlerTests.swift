import ChorusCore
import Foundation
import Logging
import Testing

@Suite struct JSONLogHandlerTests {
    @Test func linesAreJSONAndScrubbed() throws {
        let handler = JSONLogHandler(label: "test", level: .info, scrub: { $0.replacingOccurrences(of: "ann@example.com", with: "[EMAIL]") })
        let event = LogEvent(
            level: .info,
            message: "mail from ann@example.com failed",
            metadata: ["to": .string("ann@example.com"), "count": .stringConvertible(3)],
            source: "test", file: #fileID, function: #function, line: #line
        )
        let line = try #require(handler.render(event))
        let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        #expect(object["message"] as? String == "mail from [EMAIL] failed")
        #expect(object["to"] as? String == "[EMAIL]")
        #expect(object["count"] as? String == "3")
        #expect(object["level"] as? String == "info")
        #expect(!String(decoding: line, as: UTF8.self).contains("ann@example.com"))
    }
}
