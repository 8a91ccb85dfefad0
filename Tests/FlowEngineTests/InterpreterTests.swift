import Foundation
import Testing

@testable import FlowEngine

@Suite struct InterpreterTests {
    // MARK: message, set, choice, end

    @Test func messagesRenderTemplatesWithoutEscapingAndSendInOrder() throws {
        let flow = try definition(#"""
            {"id": "hello", "start": "greet",
             "variables": {"plan": {"type": "string", "default": "gold & <silver>"}},
             "states": {
               "greet": {"type": "message", "messages": [
                  {"text": "Hi {{contact.name}}, you're on {{plan}} ({{vars.plan}}) at {{tenant.brand}} via {{channel.type}}"},
                  {"media": {"kind": "image", "url": "https://cdn.example.com/{{plan}}.png", "caption": "Plan"}},
                  {"text": "Pick one", "buttons": ["Yes", {"id": "no", "title": "No thanks"}]},
                  {"text": "Or a list", "list": {"button": "Options", "sections": [{"title": "A", "rows": [{"id": "a1", "title": "First", "description": "d"}]}]}}
               ], "next": "done"},
               "done": {"type": "end", "status": "completed"}
             }}
            """#)
        var conversation = Conversation([(flow, 1)], tenant: ["brand": "Acme"], contact: ["name": "Ana"])
        let effects = conversation.start("hello")
        #expect(effects.texts == ["Hi Ana, you're on gold & <silver> (gold & <silver>) at Acme via web", "Pick one", "Or a list"])
        guard case .send(let messages) = effects.first(where: { if case .send = $0 { true } else { false } }) else {
            Issue.record("no send")
            return
        }
        #expect(messages.count == 4)
        #expect(messages[1].media?.url == "https://cdn.example.com/gold & <silver>.png")
        #expect(messages[2].buttons?.map(\.id) == ["yes", "no"])
        #expect(messages[3].list?.sections.first?.rows.first?.id == "a1")
        #expect(effects.endStatus == "completed")
        #expect(conversation.context.ended == "completed")
        #expect(effects.entered == ["greet", "done"])
    }

    @Test func setAndChoiceRouteOnRules() throws {
        let flow = try definition(#"""
            {"id": "route", "start": "init", "states": {
               "init": {"type": "set", "assign": {"total": "{{amount}}", "tier": "vip", "label": "{{tier}}-{{amount}}", "tags": ["a", "{{tier}}"]}, "next": "route"},
               "route": {"type": "choice", "choices": [
                   {"if": {"and": [{"var": "total", "gte": 100}, {"not": {"var": "tier", "equals": "basic"}}]}, "next": "big"},
                   {"if": {"var": "tier", "in": ["basic", "pro"]}, "next": "small"}
                 ], "default": "small"},
               "big": {"type": "end", "status": "big"},
               "small": {"type": "end", "status": "small"}
             }}
            """#)
        var conversation = Conversation(flow)
        let effects = conversation.start("route", input: ["amount": 150])
        #expect(effects.endStatus == "big")
        #expect(conversation.vars["total"] == .number(150))
        #expect(conversation.vars["label"] == "vip-150")
        #expect(conversation.vars["tags"] == ["a", "vip"])
        #expect(effects.events(.stateLeft).first(where: { $0.state == "route" })?.outcome == "choices/0")

        var small = Conversation(flow)
        #expect(small.start("route", input: ["amount": "99"]).endStatus == "small")
        #expect(small.context.frames[0].vars["total"] == "99")
    }

    @Test func everyRuleOperator() throws {
        let scope = RenderScope(vars: [
            "status": "Shipped", "count": "12", "items": ["a", "b"], "email": "ana@example.com", "empty": "",
            "order": ["status": "open", "total": 30.5], "day": "2027-03-01",
        ])
        func holds(_ rule: String) throws -> Bool {
            let flow = try definition(#"{"id": "r", "start": "c", "states": {"c": {"type": "choice", "choices": [{"if": \#(rule), "next": "y"}], "default": "n"}, "y": {"type": "end"}, "n": {"type": "end"}}}"#)
            guard case .choice(let step) = flow.states[0].kind else { return false }
            return step.choices[0].rule.holds(in: scope)
        }
        #expect(try holds(#"{"var": "status", "equals": "shipped", "ignoreCase": true}"#))
        #expect(try !holds(#"{"var": "status", "equals": "shipped"}"#))
        #expect(try holds(#"{"var": "status", "notEquals": "open"}"#))
        #expect(try holds(#"{"var": "count", "equals": 12}"#))
        #expect(try holds(#"{"var": "count", "gt": 9}"#))  // numeric, not text, comparison
        #expect(try holds(#"{"var": "count", "lte": 12}"#))
        #expect(try !holds(#"{"var": "count", "lt": 12}"#))
        #expect(try holds(#"{"var": "order.total", "gte": 30}"#))
        #expect(try holds(#"{"var": "day", "lt": "2027-03-02"}"#))
        #expect(try holds(#"{"var": "items", "contains": "b"}"#))
        #expect(try holds(#"{"var": "email", "contains": "EXAMPLE", "ignoreCase": true}"#))
        #expect(try holds(#"{"var": "email", "matches": "@example\\.com"}"#))
        #expect(try holds(#"{"var": "email", "matches": "^[a-z]+@[a-z.]+$"}"#))
        #expect(try !holds(#"{"var": "email", "matches": "^example$"}"#))
        #expect(try holds(#"{"var": "order.status", "in": ["open", "new"]}"#))
        #expect(try holds(#"{"var": "order.missing", "exists": false}"#))
        #expect(try holds(#"{"var": "empty", "exists": false}"#))
        #expect(try holds(#"{"var": "status", "exists": true}"#))
        #expect(try holds(#"{"or": [{"var": "status", "equals": "x"}, {"var": "count", "equals": "12"}]}"#))
        #expect(try !holds(#"{"not": {"var": "status", "exists": true}}"#))
        #expect(try !holds(#"{"var": "nothing", "equals": ""}"#))
    }

    // MARK: collect

    static let collectFlow = #"""
        {"id": "ask", "start": "age",
         "states": {
           "age": {"type": "collect", "variable": "age", "prompt": "How old are you?",
                   "validate": {"type": "integer", "min": 18, "max": 120},
                   "retryText": "A whole number from 18, please.", "maxAttempts": 2, "timeoutSeconds": 600,
                   "on": {"collected": "thanks", "exhausted": "human", "timeout": "bye"}},
           "thanks": {"type": "message", "text": "Thanks, {{age}}.", "next": "done"},
           "human": {"type": "handoff", "queue": "support", "note": "Could not read an age"},
           "bye": {"type": "end", "status": "abandoned"},
           "done": {"type": "end"}
         }}
        """#

    @Test func collectStoresAValidAnswerAndCancelsItsTimeout() throws {
        var conversation = Conversation(try definition(Self.collectFlow))
        let started = conversation.start("ask")
        #expect(started.texts == ["How old are you?"])
        let timer = try #require(started.timers.first)
        #expect(timer.at == conversation.now.addingTimeInterval(600))
        #expect(conversation.context.waiting?.kind == .answer)

        let answered = conversation.say(" 42 ")
        #expect(answered.cancelled == [timer.id])
        #expect(answered.texts == ["Thanks, 42."])
        #expect(conversation.context.frames[0].vars["age"] == .number(42))
        #expect(answered.events(.variableCollected).first?.detail?["variable"] == "age")
        #expect(answered.endStatus == "completed")
    }

    @Test func collectReasksThenExhausts() throws {
        var conversation = Conversation(try definition(Self.collectFlow))
        conversation.start("ask")
        let first = conversation.say("twelve")
        #expect(first.texts == ["A whole number from 18, please."])
        #expect(first.events(.validationFailed).first?.detail?["reason"] == "not-a-number")
        #expect(first.cancelled.count == 1 && first.timers.count == 1)  // the timeout restarts with the re-ask
        let second = conversation.say("12")
        #expect(second.events(.validationFailed).first?.detail?["reason"] == "too-small")
        #expect(second.entered == ["human"])
        guard case .handOff(let handoff)? = second.first(where: { if case .handOff = $0 { true } else { false } }) else {
            Issue.record("no handoff")
            return
        }
        #expect(handoff.queue == "support" && handoff.note == "Could not read an age" && !handoff.resumes)
        #expect(conversation.context.ended == "handoff")
    }

    @Test func collectTimesOut() throws {
        var conversation = Conversation(try definition(Self.collectFlow))
        let timer = try #require(conversation.start("ask").timers.first)
        conversation.now = timer.at
        let fired = conversation.apply(.timer(id: timer.id))
        #expect(fired.entered == ["bye"])
        #expect(fired.endStatus == "abandoned")
        #expect(fired.events(.stateLeft).first?.outcome == "timeout")
        // A stale timer is ignored.
        let again = conversation.apply(.timer(id: timer.id))
        #expect(again.events(.ignored).count == 1)
    }

    @Test func collectChoiceAcceptsButtonsSynonymsAndNumbers() throws {
        let flow = try definition(#"""
            {"id": "pick", "start": "size", "states": {
              "size": {"type": "collect", "variable": "size",
                       "prompt": {"text": "Size?", "buttons": [{"id": "small", "title": "Small"}, {"id": "large", "title": "Large"}]},
                       "validate": {"type": "choice", "options": ["small", {"value": "large", "synonyms": ["big", "XL"]}]},
                       "on": {"collected": "done", "exhausted": "done"}},
              "done": {"type": "end"}}}
            """#)
        for (text, payload, expected) in [("Large", "large", "large"), ("xl!", nil, "large"), ("1", nil, "small"), ("BIG", nil, "large")] as [(String, String?, String)] {
            var conversation = Conversation(flow)
            conversation.start("pick")
            conversation.say(text, payload: payload)
            #expect(conversation.vars["size"] == .string(expected), "answer \(text)")
        }
    }

    // MARK: llm

    static let modelFlow = #"""
        {"id": "faq", "start": "answer", "variables": {"question": {"type": "string"}},
         "states": {
           "answer": {"type": "llm", "route": "support-default", "prompt": "faq@3",
                      "messages": [{"role": "system", "content": "Answer for {{tenant.brand}}."}, {"role": "user", "content": "{{question}}"}],
                      "input": {"question": "{{question}}", "meta": {"lang": "en"}}, "output": "reply",
                      "schema": {"type": "object"}, "temperature": 0.2, "maxTokens": 200, "timeoutSeconds": 20,
                      "on": {"success": "say", "failure": "sorry"}},
           "say": {"type": "message", "text": "{{reply.text}}", "next": "done"},
           "sorry": {"type": "message", "text": "Sorry ({{error.code}}).", "next": "done"},
           "done": {"type": "end"}
         }}
        """#

    @Test func llmSucceedsWithStructuredOutput() throws {
        var conversation = Conversation([(try definition(Self.modelFlow), 1)], tenant: ["brand": "Acme"])
        let started = conversation.start("faq", input: ["question": "Opening hours?"])
        let call = try #require(started.modelCalls.first)
        #expect(call.route == "support-default" && call.prompt == PromptReference(name: "faq", version: 3))
        #expect(call.messages.map(\.content) == ["Answer for Acme.", "Opening hours?"])
        #expect(call.input == ["question": "Opening hours?", "meta": ["lang": "en"]])
        #expect(call.temperature == 0.2 && call.maxTokens == 200 && call.schema == ["type": "object"])
        #expect(started.timers.first?.at == conversation.now.addingTimeInterval(20 + Interpreter.deadlineGrace))
        let done = conversation.apply(.result(.init(request: call.id, outcome: .success(["text": "9 to 5"]))))
        #expect(done.texts == ["9 to 5"])
        #expect(done.cancelled == [started.timers[0].id])
    }

    @Test func llmFailureAndDeadlineTakeTheFailureOutcome() throws {
        let flow = try definition(Self.modelFlow)
        var failing = Conversation(flow)
        let call = try #require(failing.start("faq").modelCalls.first)
        let failed = failing.apply(.result(.init(request: call.id, outcome: .failure(FlowFailure(code: "content-policy", message: "blocked")))))
        #expect(failed.texts == ["Sorry (content-policy)."])
        #expect(failing.vars["error"]?.value(at: ["code"]) == "content-policy")

        var slow = Conversation(flow)
        let timer = try #require(slow.start("faq").timers.first)
        let timedOut = slow.apply(.timer(id: timer.id))
        #expect(timedOut.texts == ["Sorry (timeout)."])
        // The late result is ignored.
        let late = slow.apply(.result(.init(request: call.id, outcome: .success("late"))))
        #expect(late.events(.ignored).count == 1 && late.texts.isEmpty)
    }

    // MARK: integration

    static let integrationFlow = #"""
        {"id": "orders", "start": "lookup", "states": {
           "lookup": {"type": "integration", "integration": "orders-api", "operation": "getOrder",
                      "input": {"id": "{{orderId}}"}, "output": "order",
                      "retry": {"maxAttempts": 3, "backoffSeconds": 2, "multiplier": 2, "maxBackoffSeconds": 3},
                      "timeoutSeconds": 5, "on": {"success": "ok", "failure": "down"}},
           "ok": {"type": "end", "status": "found"},
           "down": {"type": "end", "status": "unavailable"}
         }}
        """#

    @Test func integrationRetriesRetryableFailuresWithBackoffThenFails() throws {
        var conversation = Conversation(try definition(Self.integrationFlow))
        let first = try #require(conversation.start("orders", input: ["orderId": "123456"]).integrationCalls.first)
        #expect(first.input == ["id": "123456"] && first.attempt == 1 && first.timeoutSeconds == 5)

        let unavailable = FlowFailure(code: "http-503", message: "down", retryable: true)
        let afterFirst = conversation.apply(.result(.init(request: first.id, outcome: .failure(unavailable))))
        let backoff = try #require(afterFirst.timers.first)
        let delay = backoff.at.timeIntervalSince(conversation.now)
        #expect(delay >= 1 && delay <= 2)  // 2 s base with equal jitter
        #expect(conversation.context.waiting?.kind == .retry)

        let second = try #require(conversation.apply(.timer(id: backoff.id)).integrationCalls.first)
        #expect(second.attempt == 2 && second.id != first.id)
        let afterSecond = conversation.apply(.result(.init(request: second.id, outcome: .failure(unavailable))))
        let secondDelay = try #require(afterSecond.timers.first).at.timeIntervalSince(conversation.now)
        #expect(secondDelay >= 1.5 && secondDelay <= 3)  // 4 s capped at 3

        let third = try #require(conversation.apply(.timer(id: afterSecond.timers[0].id)).integrationCalls.first)
        #expect(third.attempt == 3)
        let last = conversation.apply(.result(.init(request: third.id, outcome: .failure(unavailable))))
        #expect(last.endStatus == "unavailable")
        #expect(conversation.vars["error"]?.value(at: ["code"]) == "http-503")
    }

    @Test func integrationDoesNotRetryPermanentFailuresAndStoresOutput() throws {
        var failing = Conversation(try definition(Self.integrationFlow))
        let call = try #require(failing.start("orders").integrationCalls.first)
        let failed = failing.apply(.result(.init(request: call.id, outcome: .failure(FlowFailure(code: "http-404", message: "no order")))))
        #expect(failed.endStatus == "unavailable" && failed.integrationCalls.isEmpty)

        var working = Conversation(try definition(Self.integrationFlow))
        let ok = try #require(working.start("orders").integrationCalls.first)
        #expect(working.apply(.result(.init(request: ok.id, outcome: .success(["status": "shipped"])))).endStatus == "found")
        #expect(working.vars["order"] == ["status": "shipped"])
    }

    @Test func integrationTimeoutCountsAsARetryableFailure() throws {
        var conversation = Conversation(try definition(Self.integrationFlow))
        let started = conversation.start("orders")
        let deadline = try #require(started.timers.first)
        #expect(deadline.at == conversation.now.addingTimeInterval(5 + Interpreter.deadlineGrace))
        let timedOut = conversation.apply(.timer(id: deadline.id))
        #expect(conversation.context.waiting?.kind == .retry)
        #expect(timedOut.events(.error).first?.detail?["code"] == "timeout")
    }

    // MARK: handoff, wait

    @Test func handoffResumesWhenAnAgentHandsBack() throws {
        let flow = try definition(#"""
            {"id": "h", "start": "agent", "states": {
               "agent": {"type": "handoff", "queue": "billing", "priority": "high", "note": "VIP {{contact.name}}", "next": "back"},
               "back": {"type": "message", "text": "Welcome back", "next": "done"},
               "done": {"type": "end"}}}
            """#)
        var conversation = Conversation([(flow, 1)], contact: ["name": "Ana"])
        let started = conversation.start("h")
        guard case .handOff(let handoff)? = started.first(where: { if case .handOff = $0 { true } else { false } }) else {
            Issue.record("no handoff")
            return
        }
        #expect(handoff.priority == "high" && handoff.note == "VIP Ana" && handoff.resumes)
        #expect(conversation.say("hello?").events(.ignored).count == 1)  // messages go to the agent meanwhile
        let back = conversation.apply(.result(.init(request: handoff.id, outcome: .success(.null))))
        #expect(back.texts == ["Welcome back"])
    }

    @Test func waitPausesUntilItsTimer() throws {
        let flow = try definition(#"""
            {"id": "w", "start": "pause", "states": {
               "pause": {"type": "wait", "seconds": 3600, "next": "remind"},
               "remind": {"type": "message", "text": "Reminder", "next": "done"},
               "done": {"type": "end"}}}
            """#)
        var conversation = Conversation(flow)
        let timer = try #require(conversation.start("w").timers.first)
        #expect(timer.at == conversation.now.addingTimeInterval(3600))
        #expect(conversation.say("hi").events(.ignored).count == 1)
        #expect(conversation.apply(.timer(id: timer.id)).texts == ["Reminder"])
    }

    // MARK: call, link, interrupts, errors

    static let verify = #"""
        {"id": "verify", "start": "code", "variables": {"phone": {"type": "string"}},
         "interrupts": [{"keywords": ["restart"], "next": "code"}],
         "states": {
           "code": {"type": "collect", "variable": "code", "prompt": "Code sent to {{phone}}?", "validate": {"type": "text", "pattern": "[0-9]{4}"},
                    "on": {"collected": "ok", "exhausted": "failed"}},
           "ok": {"type": "set", "assign": {"verified": true}, "next": "done"},
           "done": {"type": "end", "status": "verified"},
           "failed": {"type": "end", "status": "failed"}}}
        """#

    static let main = #"""
        {"id": "main", "start": "check",
         "interrupts": [{"keywords": ["agent", "human"], "next": "human"}, {"pattern": "(?i)stop|unsubscribe", "next": "optout"}],
         "states": {
           "check": {"type": "call", "flow": "verify", "version": 1, "input": {"phone": "{{contact.phone}}"}, "output": {"isVerified": "verified"}, "next": "after"},
           "after": {"type": "message", "text": "Verified: {{isVerified}} ({{subflowStatus}})", "next": "survey"},
           "survey": {"type": "link", "flow": "survey"},
           "human": {"type": "handoff", "queue": "support"},
           "optout": {"type": "end", "status": "opted-out"}}}
        """#

    static let survey = #"""
        {"id": "survey", "start": "q", "variables": {"from": {"type": "string", "default": "none"}}, "states": {
           "q": {"type": "collect", "variable": "score", "prompt": "Rate us 1-5", "validate": {"type": "number", "min": 1, "max": 5},
                 "on": {"collected": "bye", "exhausted": "bye"}},
           "bye": {"type": "end", "status": "rated"}}}
        """#

    @Test func callRunsAPinnedSubflowAndReturnsItsOutputs() throws {
        var conversation = Conversation(
            [(try definition(Self.main), 1), (try definition(Self.verify), 1), (try definition(Self.survey), 4)],
            contact: ["phone": "+15550100"]
        )
        let started = conversation.start("main")
        #expect(started.texts == ["Code sent to +15550100?"])
        #expect(conversation.context.frames.map(\.flow) == ["main", "verify"])
        let verified = conversation.say("1234")
        #expect(verified.texts == ["Verified: true (verified)", "Rate us 1-5"])
        #expect(conversation.context.frames.map(\.flow) == ["survey"])
        #expect(conversation.context.frames[0].version == 4)  // link follows the live version
        #expect(conversation.say("5").endStatus == "rated")
    }

    @Test func interruptsJumpFromAnySubflowAndCancelTimers() throws {
        var conversation = Conversation([(try definition(Self.main), 1), (try definition(Self.verify), 1), (try definition(Self.survey), 1)])
        conversation.start("main")
        // The subflow's own interrupt stays inside it.
        #expect(conversation.say("Restart").texts == ["Code sent to ?"])
        #expect(conversation.context.frames.count == 2)
        // The caller's interrupt unwinds the stack.
        let agent = conversation.say("  AGENT! ")
        #expect(agent.events(.interrupted).first?.detail?["trigger"] == "agent")
        #expect(agent.events(.flowEnded).first.map { [$0.flow, $0.outcome] } == ["verify", "interrupted"])
        #expect(conversation.context.frames.map(\.flow) == ["main"])
        #expect(conversation.context.ended == "handoff")

        var stopping = Conversation([(try definition(Self.main), 1), (try definition(Self.verify), 1)])
        stopping.start("main")
        #expect(stopping.say("please stop texting me").endStatus == "opted-out")
        var nonstop = Conversation([(try definition(Self.main), 1), (try definition(Self.verify), 1)])
        nonstop.start("main")
        #expect(nonstop.say("nonstop").endStatus == nil)  // patterns do not match inside words
    }

    @Test func runawayLoopsEndInOnError() throws {
        // A loop through a `call` passes validation (the subflow might wait) but here it never does.
        let loop = try definition(#"""
            {"id": "loop", "start": "a", "onError": "oops", "settings": {"maxSteps": 50}, "states": {
               "a": {"type": "call", "flow": "noop", "version": 1, "next": "a"},
               "oops": {"type": "message", "text": "Something went wrong ({{error.code}} in {{error.state}}).", "next": "end"},
               "end": {"type": "end", "status": "failed"}}}
            """#)
        let noop = try definition(#"{"id": "noop", "start": "x", "states": {"x": {"type": "end"}}}"#)
        var conversation = Conversation([(loop, 1), (noop, 1)])
        let effects = conversation.start("loop")
        #expect(effects.texts == ["Something went wrong (step-limit in a)."])
        #expect(effects.endStatus == "failed")
        #expect(effects.entered.count <= 53)

        // Without onError, the conversation ends with status error.
        let bare = try definition(#"""
            {"id": "loop", "start": "a", "states": {"a": {"type": "call", "flow": "noop", "version": 1, "next": "a"}}}
            """#)
        var unguarded = Conversation([(bare, 1), (noop, 1)])
        #expect(unguarded.start("loop").endStatus == "error")
    }

    @Test func aMissingSubflowGoesToOnError() throws {
        let flow = try definition(#"""
            {"id": "m", "start": "a", "onError": "e", "states": {
               "a": {"type": "call", "flow": "gone", "version": 3, "next": "e"},
               "e": {"type": "end", "status": "recovered"}}}
            """#)
        var conversation = Conversation(flow)
        let effects = conversation.start("m")
        #expect(effects.events(.error).first?.detail?["code"] == "flow-not-found")
        #expect(effects.endStatus == "recovered")
    }

    @Test func aSubflowFailureGoesToTheCallersOnError() throws {
        let caller = try definition(#"""
            {"id": "caller", "start": "a", "onError": "sorry", "states": {
               "a": {"type": "call", "flow": "inner", "version": 1, "next": "done"},
               "sorry": {"type": "message", "text": "Sorry: {{error.code}}", "next": "done"},
               "done": {"type": "end", "status": "done"}}}
            """#)
        let inner = try definition(#"""
            {"id": "inner", "start": "b", "states": {"b": {"type": "call", "flow": "missing", "version": 1, "next": "c"}, "c": {"type": "end"}}}
            """#)
        var conversation = Conversation([(caller, 1), (inner, 1)])
        let effects = conversation.start("caller")
        #expect(effects.texts == ["Sorry: flow-not-found"])
        #expect(effects.events(.flowEnded).map(\.outcome) == ["error", "done"])
        #expect(effects.endStatus == "done")
    }

    @Test func aTapWithoutTextAnswersWithItsPayload() throws {
        let flow = try definition(#"""
            {"id": "yn", "start": "ask", "states": {
               "ask": {"type": "collect", "variable": "ok", "prompt": {"text": "OK?", "buttons": ["Yes", "No"]}, "validate": {"type": "boolean"},
                       "on": {"collected": "done", "exhausted": "done"}},
               "done": {"type": "end"}}}
            """#)
        var conversation = Conversation(flow)
        conversation.start("yn")
        conversation.say("", payload: "no")
        #expect(conversation.vars["ok"] == false)
    }

    @Test func outcomesReadAndWriteTheirWireShape() throws {
        let outcomes = try JSONDecoder().decode([FlowEvent.EffectResult.Outcome].self, from: Data(#"[{"success": {"a": 1}}, {"failure": {"code": "http-503", "retryable": true}}]"#.utf8))
        #expect(outcomes == [.success(["a": 1]), .failure(FlowFailure(code: "http-503", message: "http-503", retryable: true))])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(outcomes[0]), as: UTF8.self) == #"{"success":{"a":1}}"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FlowEvent.EffectResult.Outcome.self, from: Data(#"{"success": 1, "failure": {"code": "x"}}"#.utf8)) }
    }

    @Test func aSimulationStopsAfterItsStateBound() throws {
        // Each canned result sends the flow round a loop that waits only for the integration.
        let flow = try definition(#"""
            {"id": "spin", "start": "call", "settings": {"maxSteps": 10000}, "states": {
               "call": {"type": "integration", "integration": "x", "operation": "y", "on": {"success": "again", "failure": "again"}},
               "again": {"type": "message", "text": "again", "next": "call"}}}
            """#)
        let outcome = Simulation(script: [.say("hi")], results: ["call": [.success(1)]]).run(flow, version: 0)
        #expect(outcome.statesVisited.count <= Simulation.maximumStatesEntered + 2)
        #expect(outcome.notes.contains { $0.contains("stopped") })
    }

        // MARK: versions

    @Test func aConversationStaysOnTheVersionItStartedOn() throws {
        let v1 = try definition(#"""
            {"id": "greet", "start": "ask", "states": {
               "ask": {"type": "collect", "variable": "name", "prompt": "Name?", "on": {"collected": "bye", "exhausted": "bye"}},
               "bye": {"type": "message", "text": "Bye {{name}} (v1)", "next": "end"},
               "end": {"type": "end"}}}
            """#)
        let v2 = try definition(#"""
            {"id": "greet", "start": "ask", "states": {
               "ask": {"type": "collect", "variable": "name", "prompt": "Your name?", "on": {"collected": "bye", "exhausted": "bye"}},
               "bye": {"type": "message", "text": "Goodbye {{name}} (v2)", "next": "end"},
               "end": {"type": "end"}}}
            """#)
        var library = FlowLibrary()
        library.add(v1, version: 1)
        var conversation = Conversation([(v1, 1)])
        conversation.start("greet")
        #expect(conversation.context.frames[0].version == 1)
        // v2 is published while the conversation waits.
        library.add(v2, version: 2)
        conversation.interpreter = Interpreter(source: library)
        #expect(conversation.say("Ana").texts == ["Bye Ana (v1)"])
        var fresh = Conversation([(v1, 1), (v2, 2)])
        #expect(fresh.start("greet").texts == ["Your name?"])
    }

    @Test func experimentsPickTheVersionAndSayWhich() throws {
        let v1 = try definition(#"{"id": "x", "start": "e", "states": {"e": {"type": "end", "status": "one"}}}"#)
        let v2 = try definition(#"{"id": "x", "start": "e", "states": {"e": {"type": "end", "status": "two"}}}"#)
        let experiment = Experiment(id: "exp-1", arms: [.init(version: 1, weight: 50), .init(version: 2, weight: 50)])
        var seen: Set<String> = []
        for index in 0..<40 {
            var conversation = Conversation([(v1, 1), (v2, 2)])
            conversation.context.conversationId = "conv-\(index)"
            let effects = conversation.apply(.start(.init(flow: "x", experiment: experiment)))
            let assigned = try #require(effects.events(.experimentAssigned).first)
            #expect(effects.endStatus == (assigned.version == 1 ? "one" : "two"))
            #expect(conversation.context.experiment?.version == assigned.version)
            seen.insert(effects.endStatus ?? "")
        }
        #expect(seen == ["one", "two"])
    }

    @Test func eventsThatDoNotApplyChangeNothing() throws {
        var conversation = Conversation(try definition(Self.collectFlow))
        let before = conversation.context
        #expect(conversation.say("hi").events(.ignored).count == 1)  // not started
        #expect(conversation.context == before)
        conversation.start("ask")
        #expect(conversation.start("ask").events(.ignored).count == 1)
        let waiting = conversation.context
        #expect(conversation.apply(.result(.init(request: "r99", outcome: .success(.null)))).events(.ignored).count == 1)
        #expect(conversation.context == waiting)
        var missing = Conversation(try definition(Self.collectFlow))
        #expect(missing.start("nope").endStatus == "error")
    }
}
