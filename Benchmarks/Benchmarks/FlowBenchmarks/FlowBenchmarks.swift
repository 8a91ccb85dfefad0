import Benchmark
import FlowEngine
import Foundation

/// A flow whose every user message runs `count` states alternating `set` and `choice`, then waits again: the
/// interpreter's inner loop with nothing else in the way.
func transitionFlow(count: Int) -> String {
    var states: [String] = []
    states.append(#""ask": {"type": "collect", "variable": "answer", "on": {"collected": "s0", "exhausted": "s0"}}"#)
    for index in 0..<count {
        let next = index + 1 < count ? "s\(index + 1)" : "ask"
        if index % 2 == 0 {
            states.append(#""s\#(index)": {"type": "set", "assign": {"n\#(index % 8)": \#(index), "flag": true}, "next": "\#(next)"}"#)
        } else {
            states.append(#""s\#(index)": {"type": "choice", "choices": [{"if": {"var": "flag", "equals": false}, "next": "ask"}, {"if": {"var": "n\#((index - 1) % 8)", "gte": 0}, "next": "\#(next)"}], "default": "ask"}"#)
        }
    }
    return #"{"id": "bench", "start": "ask", "settings": {"maxSteps": \#(count + 10)}, "states": {\#(states.joined(separator: ",\n"))}}"#
}

/// A 1,000-state flow using most state types, as a large tenant flow might.
func largeFlow(states count: Int) -> String {
    var states: [String] = []
    for index in 0..<count {
        let id = "s\(index)"
        let next = index + 1 < count ? "s\(index + 1)" : "done"
        switch index % 6 {
        case 0: states.append(#""\#(id)": {"type": "message", "text": "Step \#(index) for {{contact.name}}: {{v\#(index % 5)}}", "buttons": ["Yes", "No"], "next": "\#(next)"}"#)
        case 1: states.append(#""\#(id)": {"type": "collect", "variable": "v\#(index % 5)", "prompt": "Value?", "validate": {"type": "number", "min": 0, "max": 100}, "timeoutSeconds": 600, "on": {"collected": "\#(next)", "exhausted": "done", "timeout": "done"}}"#)
        case 2: states.append(#""\#(id)": {"type": "choice", "choices": [{"if": {"and": [{"var": "v\#(index % 5)", "gt": 50}, {"var": "contact.tier", "in": ["gold", "silver"]}]}, "next": "\#(next)"}], "default": "\#(next)"}"#)
        case 3: states.append(#""\#(id)": {"type": "set", "assign": {"label": "{{v\#(index % 5)}}-\#(index)", "count": \#(index)}, "next": "\#(next)"}"#)
        case 4: states.append(#""\#(id)": {"type": "integration", "integration": "crm", "operation": "update", "input": {"value": "{{label}}"}, "output": "r\#(index % 3)", "retry": {"maxAttempts": 3}, "on": {"success": "\#(next)", "failure": "done"}}"#)
        default: states.append(#""\#(id)": {"type": "llm", "route": "default", "prompt": "step@1", "input": {"label": "{{label}}"}, "output": "answer", "on": {"success": "\#(next)", "failure": "done"}}"#)
        }
    }
    states.append(#""done": {"type": "end"}"#)
    return #"{"id": "large", "start": "s0", "variables": {"v0": {"type": "any"}, "v1": {"type": "any"}, "v2": {"type": "any"}, "v3": {"type": "any"}, "v4": {"type": "any"}}, "interrupts": [{"keywords": ["agent"], "next": "done"}], "states": {\#(states.joined(separator: ",\n"))}}"#
}

/// What the templated-message benchmarks render against.
func messageScope() -> RenderScope {
    RenderScope(vars: ["order": ["id": "A-1042", "status": "shipped"], "eta": "Tuesday"], contact: ["name": "Ana"])
}

/// A conversation waiting in an integration call: one frame with four variables (one a nested object), a contact
/// with two attributes, a channel, and the waiting request and timer.
func typicalContext() -> FlowContext {
    var context = FlowContext(conversationId: "3f2a9c1e-8b7d-4e21-a3c4-5d6e7f809a1b", contact: ["name": "Ana López", "phone": "+34600111222"], channel: ["type": "whatsapp"])
    context.frames = [FlowContext.Frame(flow: "order-status", version: 12, state: "lookup", vars: ["order_id": "482113", "email": "ana@example.com", "attempts": 1, "order": ["status": "shipped", "eta": "2027-01-20"]], attempts: 1)]
    context.waiting = .init(kind: .result, request: "r7", timer: "t8")
    context.sequence = 8
    return context
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(5), maxIterations: 100_000)

    // One iteration is one user message that runs 1,000 set/choice transitions: throughput × 1,000 is
    // transitions per second.
    Benchmark("transitions: one event through 1,000 set/choice states") { benchmark in
        let flow = try FlowDefinition.read(Array(transitionFlow(count: 1_000).utf8))
        var library = FlowLibrary()
        library.add(flow, version: 1)
        let interpreter = Interpreter(source: library)
        var random = SplitMix64(seed: 1)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let waiting = interpreter.advance(FlowContext(conversationId: "c"), with: .start(.init(flow: "bench")), now: now, random: &random).context
        let message = FlowEvent.message(.init(text: "go"))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(interpreter.advance(waiting, with: message, now: now, random: &random))
        }
    }

    // One iteration renders 1,000 messages: throughput × 1,000 is messages per second.
    Benchmark("templated messages: 1,000 renders of a four-variable message") { benchmark in
        let template = try Template("Hi {{contact.name}}, your order {{order.id}} is {{order.status}}; it arrives on {{eta}}.")
        let scope = messageScope()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for _ in 0..<1_000 { blackHole(template.render(scope)) }
        }
    }

    // The baseline for the one above, in the same run: an empty section sends the same message through
    // swift-mustache's general renderer instead of the precompiled pieces.
    Benchmark("templated messages, baseline: the same message through the general renderer") { benchmark in
        let template = try Template("Hi {{contact.name}}, your order {{order.id}} is {{order.status}}; it arrives on {{eta}}.{{#none}}{{/none}}")
        let scope = messageScope()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for _ in 0..<1_000 { blackHole(template.render(scope)) }
        }
    }

    Benchmark("validate a 1,000-state flow") { benchmark in
        let document = Array(largeFlow(states: 1_000).utf8)
        precondition(FlowDefinition.validate(document).isValid)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(FlowDefinition.validate(document))
        }
    }

    Benchmark("encode and decode a typical context") { benchmark in
        let context = typicalContext()
        let size = try context.encoded().count
        precondition(size < 1024, "context is \(size) bytes")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try FlowContext.decoded(from: try context.encoded()))
        }
    }

    // The baseline for the one above, in the same run: the same context through the Codable conformance with
    // Foundation's encoder and decoder.
    Benchmark("encode and decode a typical context, baseline: JSONEncoder and JSONDecoder") { benchmark in
        let context = typicalContext()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let decoder = JSONDecoder()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try decoder.decode(FlowContext.self, from: try encoder.encode(context)))
        }
    }
}
