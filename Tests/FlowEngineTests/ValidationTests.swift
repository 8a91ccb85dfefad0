import Foundation
import Testing

@testable import FlowEngine

/// Each class of problem, found in a fixture built to contain it, at the right pointer.
@Suite struct ValidationTests {
    func found(_ json: String, references: FlowReferences? = nil) -> [String: [FlowProblem]] {
        Dictionary(grouping: problems(json, references: references), by: \.code)
    }

    @Test func aValidFlowHasNoProblems() throws {
        let validation = FlowDefinition.validate(Array(#"""
            {"$schema": "./schema/flow.schema.json", "id": "ok", "name": "OK", "start": "a", "x-layout": {"a": [0, 0]},
             "states": {"a": {"type": "message", "text": "hi", "description": "greets", "x-position": [1, 2], "next": "b"},
                        "b": {"type": "end"}}}
            """#.utf8))
        #expect(validation.problems.isEmpty)
        #expect(validation.isValid)
    }

    @Test func syntaxErrorsSayWhere() {
        let result = problems("{\"id\": \"x\",\n  \"states\": {,}}")
        #expect(result.count == 1)
        #expect(result.first?.code == "json")
        #expect(result.first?.message.contains("line 2, column 14") == true)
        #expect(problems("[1, 2]").first?.code == "type")
    }

    @Test func schemaErrorsCarryPointers() {
        let result = found(#"""
            {"id": "Bad Id", "start": "a", "oops": 1, "settings": {"maxSteps": 0, "dateOrder": "ymd"},
             "states": {
               "a": {"type": "message", "txt": "hi", "next": 3},
               "b": {"type": "collect", "variable": "1x", "validate": {"type": "number", "min": "one"}, "maxAttempts": 50,
                     "on": {"collected": "a"}},
               "c": {"type": "llm", "route": "r", "prompt": "no-version", "temperature": 9, "on": {"success": "a", "failure": "a"}},
               "d": {"type": "wait", "next": "a"}
             }}
            """#)
        #expect(found(#"{"id": "x"}"#)["required"]?.map(\.pointer).contains("") == true)
        #expect(result["slug"]?.map(\.pointer) == ["/id"])
        #expect(result["unknown-field"]?.map(\.pointer).sorted() == ["/oops", "/states/a/txt"])
        #expect(result["unknown-field"]?.first(where: { $0.pointer == "/states/a/txt" })?.message.contains("did you mean `text`") == true)
        #expect(result["range"]?.map(\.pointer).sorted() == ["/settings/maxSteps", "/states/b/maxAttempts", "/states/c/temperature"])
        #expect(result["enum"]?.map(\.pointer) == ["/settings/dateOrder"])
        #expect(result["type"]?.map(\.pointer).sorted() == ["/states/a/next", "/states/b/validate/min"])
        #expect(result["variable-name"]?.map(\.pointer) == ["/states/b/variable"])
        #expect(result["prompt"]?.map(\.pointer) == ["/states/c/prompt"])
        #expect(result["required"]?.map(\.pointer).sorted() == ["/states/a", "/states/b/on", "/states/d"])
    }

    @Test func reservedNamesDuplicateButtonsAndInvertedBounds() {
        let result = found(#"""
            {"id": "x", "start": "a", "states": {
               "a": {"type": "set", "assign": {"contact": 1}, "next": "b"},
               "b": {"type": "message", "text": "hi", "buttons": ["Yes", "yes"], "next": "c"},
               "c": {"type": "collect", "variable": "d", "validate": {"type": "date", "min": "today+10", "max": "today"}, "on": {"collected": "e", "exhausted": "e"}},
               "e": {"type": "choice", "choices": [{"if": {"var": "d", "matches": "x", "ignoreCase": true}, "next": "f"}], "default": "f"},
               "f": {"type": "end"}}}
            """#)
        #expect(result["variable-name"]?.map(\.pointer) == ["/states/a/assign/contact"])
        #expect(result["duplicate-id"]?.map(\.pointer) == ["/states/b/buttons/1"])
        #expect(result["range"]?.map(\.pointer) == ["/states/c/validate/min"])
        #expect(result["unused-field"]?.map(\.severity) == [.warning])
    }

    @Test func keywordsCompareWithoutEdgePunctuationOrSpaces() {
        #expect(Keyword.normalize("  Order   STATUS ?") == "order status")
        #expect(Keyword.normalize("¡Hola!") == "hola")
        #expect(Keyword.normalize("?!").isEmpty)
        let result = found(#"""
            {"id": "x", "start": "a", "interrupts": [{"keywords": ["agent", "!!"], "next": "a"}], "states": {"a": {"type": "end"}}}
            """#)
        #expect(result["keyword"]?.map(\.pointer) == ["/interrupts/0/keywords/1"])
    }

        @Test func unknownStateTypes() {
        let result = found(#"{"id": "x", "start": "a", "states": {"a": {"type": "mesage", "next": "a"}}}"#)
        let problem = result["unknown-state-type"]?.first
        #expect(problem?.pointer == "/states/a/type")
        #expect(problem?.message.contains("did you mean `message`") == true)
    }

    @Test func danglingTransitions() {
        let result = found(#"""
            {"id": "x", "start": "a", "onError": "nowhere", "interrupts": [{"keywords": ["hi"], "next": "gone"}],
             "states": {"a": {"type": "choice", "choices": [{"if": {"var": "v", "exists": true}, "next": "bb"}], "default": "b"},
                        "b": {"type": "end"}}}
            """#)
        #expect(result["dangling-transition"]?.map(\.pointer).sorted() == ["/interrupts/0/next", "/onError", "/states/a/choices/0/next"])
        #expect(result["dangling-transition"]?.first(where: { $0.pointer.hasSuffix("choices/0/next") })?.message.contains("did you mean `b`") == true)
        #expect(found(#"{"id": "x", "start": "zz", "states": {"a": {"type": "end"}}}"#)["dangling-transition"]?.first?.pointer == "/start")
    }

    @Test func unreachableStates() {
        let result = found(#"""
            {"id": "x", "start": "a", "onError": "err", "interrupts": [{"keywords": ["agent"], "next": "human"}],
             "states": {"a": {"type": "end"}, "island": {"type": "message", "text": "never", "next": "a"},
                        "human": {"type": "handoff", "queue": "q"}, "err": {"type": "end", "status": "error"}}}
            """#)
        #expect(result["unreachable-state"]?.map(\.pointer) == ["/states/island"])
    }

    @Test func choiceWithoutDefault() {
        let result = found(#"""
            {"id": "x", "start": "a", "states": {"a": {"type": "choice", "choices": [{"if": {"var": "v", "equals": 1}, "next": "b"}]},
                                                 "b": {"type": "end"}}}
            """#)
        #expect(result["choice-without-default"]?.map(\.pointer) == ["/states/a"])
    }

    @Test func cyclesThatNeverWait() {
        let result = found(#"""
            {"id": "x", "start": "a", "states": {
               "a": {"type": "set", "assign": {"n": 1}, "next": "b"},
               "b": {"type": "choice", "choices": [{"if": {"var": "n", "gt": 0}, "next": "c"}], "default": "a"},
               "c": {"type": "message", "text": "again", "next": "a"},
               "ask": {"type": "collect", "variable": "v", "on": {"collected": "d", "exhausted": "d"}},
               "d": {"type": "message", "text": "loop with a wait is fine", "next": "ask"},
               "self": {"type": "set", "assign": {"x": 1}, "next": "self"}
             }}
            """#)
        let cycles = result["cycle-without-wait"] ?? []
        #expect(cycles.map(\.pointer) == ["/states/a", "/states/self"])
        #expect(cycles.first?.message.contains("`a`, `b`, `c`") == true)
    }

    @Test func duplicateIds() {
        let result = found(#"""
            {"id": "x", "start": "a", "states": {
               "a": {"type": "message", "text": "one", "buttons": [{"id": "yes", "title": "Yes"}, {"id": "yes", "title": "Sure"}], "next": "b"},
               "b": {"type": "end"},
               "a": {"type": "end"}}}
            """#)
        #expect(result["duplicate-id"]?.map(\.pointer).sorted() == ["/states/a", "/states/a/buttons/1"])
    }

    @Test func templateVariablesNoPathSetsAreWarnings() {
        let validation = FlowDefinition.validate(Array(#"""
            {"id": "x", "start": "ask", "variables": {"declared": {"type": "string"}},
             "states": {
               "ask": {"type": "collect", "variable": "name", "prompt": "Name? {{declared}}", "on": {"collected": "hi", "exhausted": "hi"}},
               "hi": {"type": "message", "text": "Hi {{name}} {{vars.name}} {{contact.name}} {{tpyo}}{{#items}}{{sku}}{{/items}}", "next": "calc"},
               "calc": {"type": "set", "assign": {"a": "1", "b": "{{a}}-{{c}}", "c": "x"}, "next": "route"},
               "route": {"type": "choice", "choices": [{"if": {"var": "order.status", "equals": "{{ghost}}"}, "next": "end"}], "default": "end"},
               "end": {"type": "end"}}}
            """#.utf8))
        #expect(validation.isValid)  // warnings only
        let warnings = validation.problems.filter { $0.code == "unset-variable" }
        #expect(warnings.allSatisfy { $0.severity == .warning })
        #expect(Set(warnings.map { "\($0.pointer) \($0.message.prefix(while: { $0 != " " }))" }) == [
            "/states/hi/text `tpyo`", "/states/hi/text `items`", "/states/calc/assign/b `c`",
            "/states/route/choices/0/if/var `order`", "/states/route/choices/0/if/equals `ghost`",
        ])
    }

    @Test func aVariableSetOnOnlyOtherBranchesIsReported() {
        let result = found(#"""
            {"id": "x", "start": "route", "states": {
               "route": {"type": "choice", "choices": [{"if": {"var": "flag", "exists": true}, "next": "setter"}], "default": "reader"},
               "setter": {"type": "set", "assign": {"v": 1}, "next": "done"},
               "reader": {"type": "message", "text": "{{v}}", "next": "done"},
               "done": {"type": "end"}}}
            """#)
        #expect(result["unset-variable"]?.map(\.pointer).sorted() == ["/states/reader/text", "/states/route/choices/0/if/var"])
    }

    @Test func tenantReferencesThatDoNotExist() {
        let flow = #"""
            {"id": "x", "start": "a", "states": {
               "a": {"type": "llm", "route": "cheap", "prompt": "faq@4", "on": {"success": "b", "failure": "b"}},
               "b": {"type": "integration", "integration": "crm", "operation": "findContact", "on": {"success": "c", "failure": "c"}},
               "c": {"type": "integration", "integration": "erp", "operation": "x", "on": {"success": "d", "failure": "d"}},
               "d": {"type": "call", "flow": "verify", "version": 9, "next": "e"},
               "e": {"type": "link", "flow": "survey"}}}
            """#
        #expect(found(flow).isEmpty)  // without a tenant, references are not checked
        let references = FlowReferences(
            routes: ["support-default"],
            prompts: ["faq": [1, 2]],
            integrations: ["crm": ["getContact"]],
            flows: ["verify": [1, 2]]
        )
        let result = found(flow, references: references)
        #expect(result["unknown-route"]?.map(\.pointer) == ["/states/a/route"])
        #expect(result["unknown-prompt"]?.map(\.pointer) == ["/states/a/prompt"])
        #expect(result["unknown-operation"]?.map(\.pointer) == ["/states/b/operation"])
        #expect(result["unknown-integration"]?.map(\.pointer) == ["/states/c/integration"])
        #expect(result["unknown-flow"]?.map(\.pointer).sorted() == ["/states/d/version", "/states/e/flow"])
    }

    @Test func templatesOutsideTheSandboxAreRefused() {
        let result = found(#"""
            {"id": "x", "start": "a", "states": {
               "a": {"type": "message", "messages": [{"text": "{{> header}}"}, {"text": "{{=<% %>=}}"}, {"text": "{{%CONTENT_TYPE:HTML}}"}, {"text": "{{#open}}"}, {"text": "{{unclosed"}], "next": "b"},
               "b": {"type": "end"}}}
            """#)
        #expect(result["template"]?.map(\.pointer) == (0..<5).map { "/states/a/messages/\($0)/text" })
    }

    @Test func badPatternsSayWhere() {
        let result = found(#"""
            {"id": "x", "start": "a", "states": {
               "a": {"type": "collect", "variable": "v", "validate": {"pattern": "(a|b"}, "on": {"collected": "b", "exhausted": "b"}},
               "b": {"type": "choice", "choices": [{"if": {"var": "v", "matches": "^abc"}, "next": "c"}], "default": "c"},
               "c": {"type": "end"}}}
            """#)
        #expect(result["pattern"]?.map(\.pointer) == ["/states/a/validate/pattern", "/states/b/choices/0/if/matches"])
    }

    @Test func everyProblemIsReportedAtOnce() {
        let many = problems(#"""
            {"id": "x", "start": "a", "states": {
               "a": {"type": "bogus"}, "b": {"type": "message", "next": "zz"}, "c": {"type": "choice", "choices": []}}}
            """#)
        #expect(Set(many.map(\.code)).isSuperset(of: ["unknown-state-type", "required", "dangling-transition", "type", "choice-without-default", "unreachable-state"]))
    }
}
