import Testing

@testable import ModelOrchestrator

@Suite struct ServerSentEventsTests {
    @Test func eventsSplitAnywhereAndEveryLineEnding() {
        let stream = "event: message_start\ndata: {\"a\":1}\n\n: keep-alive\r\ndata: line one\r\ndata: line two\r\n\r\ndata: [DONE]\r\r"
        let bytes = Array(stream.utf8)
        for size in [1, 2, 3, 7, bytes.count] {
            var parser = ServerSentEvents()
            var events: [ServerSentEvents.Event] = []
            var index = 0
            while index < bytes.count {
                events += parser.feed(bytes[index..<min(index + size, bytes.count)])
                index += size
            }
            #expect(events == [
                .init(name: "message_start", data: #"{"a":1}"#),
                .init(name: "message", data: "line one\nline two"),
                .init(name: "message", data: "[DONE]"),
            ], "chunks of \(size)")
        }
    }

    @Test func anEventWithoutItsBlankLineIsDropped() {
        var parser = ServerSentEvents()
        #expect(parser.feed(Array("data: partial".utf8)).isEmpty)
        #expect(parser.finish().isEmpty)
    }

    @Test func linesSplitForNDJSON() {
        var splitter = LineSplitter()
        var lines = splitter.feed(Array("{\"a\":1}\r\n\n{\"b\"".utf8))
        lines += splitter.feed(Array(":2}\n{\"c\":3}".utf8))
        lines += splitter.finish()
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == [#"{"a":1}"#, #"{"b":2}"#, #"{"c":3}"#])
    }
}
