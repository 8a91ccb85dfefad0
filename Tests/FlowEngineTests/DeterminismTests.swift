import Foundation
import Testing

@testable import FlowEngine

@Suite struct DeterminismTests {
    static let flow = #"""
        {"id": "det", "start": "ask", "onError": "oops",
         "variables": {"attempt": {"type": "number", "default": 0}},
         "states": {
           "ask": {"type": "collect", "variable": "order", "prompt": "Order number?", "validate": {"type": "text", "pattern": "[0-9]{6}"},
                   "retryText": "Six digits, please.", "timeoutSeconds": 300, "on": {"collected": "lookup", "exhausted": "oops", "timeout": "oops"}},
           "lookup": {"type": "integration", "integration": "orders", "operation": "get", "input": {"id": "{{order}}", "tags": ["{{contact.name}}", 1]},
                      "output": "result", "retry": {"maxAttempts": 4, "backoffSeconds": 3, "multiplier": 3, "maxBackoffSeconds": 60},
                      "on": {"success": "route", "failure": "oops"}},
           "route": {"type": "choice", "choices": [{"if": {"var": "result.status", "equals": "shipped"}, "next": "shipped"}], "default": "oops"},
           "shipped": {"type": "message", "text": "Order {{order}} shipped on {{result.date}}.", "next": "done"},
           "oops": {"type": "handoff", "queue": "support", "note": "{{error.code}}"},
           "done": {"type": "end"}}}
        """#

    /// Runs the same script and returns every context and every effect list, encoded.
    func transcript() throws -> [Data] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var conversation = Conversation([(try definition(Self.flow), 1)], contact: ["name": "Ana"])
        var out: [Data] = []
        func record(_ effects: [Effect]) throws {
            out.append(try conversation.context.encoded())
            out.append(try encoder.encode(effects))
        }
        try record(conversation.start("det"))
        try record(conversation.say("12"))
        try record(conversation.say("123456"))
        let failure = FlowFailure(code: "http-502", message: "bad gateway", retryable: true)
        for _ in 0..<3 {
            let call = try #require(conversation.effects.integrationCalls.last)
            try record(conversation.apply(.result(.init(request: call.id, outcome: .failure(failure)))))
            let timer = try #require(conversation.effects.timers.last)
            conversation.now = timer.at
            try record(conversation.apply(.timer(id: timer.id)))
        }
        let call = try #require(conversation.effects.integrationCalls.last)
        #expect(call.attempt == 4)
        try record(conversation.apply(.result(.init(request: call.id, outcome: .success(["status": "shipped", "date": "2027-01-20"])))))
        return out
    }

    @Test func theSameInputsGiveByteIdenticalContextsAndEffects() throws {
        let first = try transcript()
        let second = try transcript()
        #expect(first.count == 20)
        #expect(first == second)
        let last = try FlowContext.decoded(from: first[first.count - 2])
        #expect(last.ended == "completed")
        #expect(last.frames[0].vars["result"]?.value(at: ["status"]) == "shipped")
    }

    @Test func aContextRoundTripsSmall() throws {
        var conversation = Conversation([(try definition(Self.flow), 1)], contact: ["name": "Ana"])
        conversation.start("det")
        conversation.say("123456")
        let data = try conversation.context.encoded()
        #expect(data.count < 1024)
        #expect(try FlowContext.decoded(from: data) == conversation.context)
        #expect(try FlowContext.decoded(from: data).encoded() == data)
        // What the Codable conformance writes reads back the same.
        let codable = try JSONEncoder().encode(conversation.context)
        #expect(try FlowContext.decoded(from: codable) == conversation.context)
        #expect(try JSONDecoder().decode(FlowContext.self, from: data) == conversation.context)
        #expect(throws: FlowContext.Unreadable.self) { try FlowContext.decoded(from: Data("{\"frames\": 3}".utf8)) }
        #expect(throws: FlowContext.Unreadable.self) { try FlowContext.decoded(from: Data("nope".utf8)) }
    }

    @Test func experimentAssignmentSplitsSeventyThirty() {
        let experiment = Experiment(id: "welcome-copy", arms: [.init(version: 3, weight: 70), .init(version: 4, weight: 30)])
        var counts: [Int: Int] = [:]
        for index in 0..<100_000 {
            counts[experiment.arm(for: "conv-\(index)")!.version, default: 0] += 1
        }
        let share = Double(counts[3, default: 0]) / 100_000
        #expect(abs(share - 0.70) < 0.01, "share of the 70% arm: \(share)")
        // Deterministic by conversation id, and independent between experiments.
        #expect(experiment.arm(for: "conv-42") == experiment.arm(for: "conv-42"))
        let other = Experiment(id: "other", arms: experiment.arms)
        let differing = (0..<1000).filter { experiment.arm(for: "c\($0)") != other.arm(for: "c\($0)") }.count
        #expect(differing > 200)
        #expect(Experiment(id: "e", arms: [.init(version: 1, weight: 0)]).arm(for: "x") == nil)
    }

    @Test func diffsSummariseStates() throws {
        let old = #"{"id": "a", "start": "s", "states": {"s": {"type": "message", "text": "hi", "next": "e"}, "e": {"type": "end"}, "gone": {"type": "end"}}}"#
        let new = #"{"id": "a", "start": "s", "states": {"s": {"type": "message", "text": "hello", "next": "e"}, "e": {"type": "end"}, "new/one": {"type": "end"}}}"#
        let diff = try FlowDiff(from: Array(old.utf8), to: Array(new.utf8))
        #expect(diff.statesAdded == ["new/one"])
        #expect(diff.statesRemoved == ["gone"])
        #expect(diff.statesChanged == ["s"])
        #expect(diff.changes.map(\.pointer) == ["/states/s/text", "/states/new~1one", "/states/gone"])
        #expect(diff.changes.first?.from == "hi" && diff.changes.first?.to == "hello")
    }
}
