import Foundation

/// Reads a flow document into a ``FlowDefinition``, collecting every problem with its JSON pointer instead of
/// stopping at the first.
struct FlowReader {
    private(set) var problems: [FlowProblem] = []
    /// Every variable path a state reads, with where, for the unset-variable check.
    private(set) var uses: [(state: Int, pointer: String, path: VariablePath)] = []
    private var currentState = -1
    private var stateIndex: [String: Int] = [:]
    private var stateIDs: [String] = []

    static let slugPattern = "a lowercase letter or digit, then up to 63 lowercase letters, digits, `-` or `_`"
    static let maximumStates = 5_000

    // MARK: Problems

    mutating func error(_ pointer: String, _ code: String, _ message: String) {
        problems.append(FlowProblem(.error, pointer, code, message))
    }

    mutating func warning(_ pointer: String, _ code: String, _ message: String) {
        problems.append(FlowProblem(.warning, pointer, code, message))
    }

    // MARK: The document

    mutating func read(_ root: JSONNode) -> FlowDefinition? {
        guard case .object(let members) = root else {
            error("", "type", "A flow is a JSON object; this document is \(article(root.typeName)).")
            return nil
        }
        let fields = Fields(members, pointer: "")
        checkKeys(
            fields,
            allowed: ["$schema", "id", "name", "description", "version", "start", "variables", "settings",
                "interrupts", "onError", "states"]
        )
        let id = slug(fields, "id", required: true) ?? ""
        let name = string(fields, "name")
        _ = string(fields, "description")
        if let version = fields["version"], !isWholeNumber(version, atLeast: 1) {
            error("/version", "type", "`version` is a whole number from 1; the server numbers published versions.")
        }

        // State ids first, so that transitions can name states defined later in the document.
        var stateNodes: [(id: String, node: JSONNode)] = []
        switch fields["states"] {
        case nil:
            error("", "required", "A flow needs `states`, an object of states keyed by id.")
        case .object(let states)?:
            if states.isEmpty { error("/states", "required", "A flow needs at least one state.") }
            if states.count > Self.maximumStates {
                error("/states", "too-many", "A flow may have at most \(Self.maximumStates) states; split it with `call`.")
            }
            for (key, node) in states {
                if stateIndex[key] != nil { continue }  // the duplicate itself is reported by the parser
                if !Self.isIdentifier(key) {
                    error("/states".slash(key), "state-id", "A state id is a letter or `_`, then letters, digits, `_` or `-` (at most 64).")
                }
                stateIndex[key] = stateIDs.count
                stateIDs.append(key)
                stateNodes.append((key, node))
            }
        case let other?:
            error("/states", "type", "`states` is an object of states keyed by id, not \(article(other.typeName)).")
        }

        let start = target(fields, "start", required: true)
        let variables = readVariables(fields["variables"])
        var maxSteps = FlowDefinition.defaultMaxSteps
        var dateOrder = FlowDefinition.DateOrder.dmy
        if let settings = object(fields, "settings") {
            checkKeys(settings, allowed: ["maxSteps", "dateOrder"])
            if let value = integer(settings, "maxSteps", in: 1...FlowDefinition.maximumMaxSteps) { maxSteps = value }
            if let value = enumeration(settings, "dateOrder", FlowDefinition.DateOrder.self) { dateOrder = value }
        }
        let interrupts = readInterrupts(fields["interrupts"])
        let onError = target(fields, "onError", required: false)

        var states: [State] = []
        states.reserveCapacity(stateNodes.count)
        for (stateID, node) in stateNodes {
            currentState = states.count
            states.append(State(id: stateID, kind: readState(node, pointer: "/states".slash(stateID)) ?? .end(EndStep(status: "error"))))
        }
        return FlowDefinition(
            id: id,
            name: name,
            start: start ?? -1,
            variables: variables,
            states: states,
            interrupts: interrupts,
            onError: onError,
            maxSteps: maxSteps,
            dateOrder: dateOrder,
            stateIndex: stateIndex
        )
    }

    private mutating func readVariables(_ node: JSONNode?) -> [FlowDefinition.Variable] {
        guard let node else { return [] }
        guard case .object(let members) = node else {
            error("/variables", "type", "`variables` is an object keyed by variable name.")
            return []
        }
        var out: [FlowDefinition.Variable] = []
        for (name, declaration) in members {
            let pointer = "/variables".slash(name)
            if !Self.isIdentifier(name) { error(pointer, "variable-name", Self.variableNameRule) }
            if VariablePath.Root(rawValue: name) != nil {
                error(pointer, "variable-name", "`\(name)` is reserved: templates read it as the conversation's \(name).")
            }
            guard case .object(let fieldsList) = declaration else {
                error(pointer, "type", "A variable is declared with an object such as {\"type\": \"string\"}.")
                continue
            }
            let fields = Fields(fieldsList, pointer: pointer)
            checkKeys(fields, allowed: ["type", "default", "description"])
            _ = string(fields, "description")
            let type = enumeration(fields, "type", FlowDefinition.VariableType.self) ?? .any
            let defaultValue = fields["default"]?.value
            if let defaultValue, !Self.value(defaultValue, fits: type) {
                error(pointer.slash("default"), "type", "The default is \(article(defaultValue.typeName)), but the variable is declared as \(type.rawValue).")
            }
            out.append(FlowDefinition.Variable(name: name, type: type, defaultValue: defaultValue))
        }
        return out
    }

    private mutating func readInterrupts(_ node: JSONNode?) -> [FlowDefinition.Interrupt] {
        guard let node else { return [] }
        guard case .array(let elements) = node else {
            error("/interrupts", "type", "`interrupts` is an array such as [{\"keywords\": [\"agent\"], \"next\": \"human\"}].")
            return []
        }
        var out: [FlowDefinition.Interrupt] = []
        for (index, element) in elements.enumerated() {
            let pointer = "/interrupts".slash(index)
            guard case .object(let list) = element else {
                error(pointer, "type", "An interrupt is an object with `keywords` or `pattern`, and `next`.")
                continue
            }
            let fields = Fields(list, pointer: pointer)
            checkKeys(fields, allowed: ["keywords", "pattern", "next", "description"])
            _ = string(fields, "description")
            let keywords = stringArray(fields, "keywords") ?? []
            for (offset, keyword) in keywords.enumerated() where Keyword.normalize(keyword).isEmpty {
                error(pointer.slash("keywords").slash(offset), "keyword", "`\(keyword)` is only punctuation, which is ignored when messages are compared; it would never match.")
            }
            let pattern = messagePattern(fields, "pattern")
            if keywords.isEmpty && pattern == nil && fields["pattern"] == nil {
                error(pointer, "required", "An interrupt needs `keywords`, a `pattern`, or both.")
            }
            let next = target(fields, "next", required: true)
            if let next {
                out.append(FlowDefinition.Interrupt(keywords: keywords.map(Keyword.normalize), pattern: pattern, next: next))
            }
        }
        return out
    }

    // MARK: States

    private mutating func readState(_ node: JSONNode, pointer: String) -> State.Kind? {
        guard case .object(let list) = node else {
            error(pointer, "type", "A state is an object with a `type`.")
            return nil
        }
        let fields = Fields(list, pointer: pointer)
        guard let typeNode = fields["type"] else {
            error(pointer, "required", "A state needs a `type`: one of \(Self.stateTypes.joined(separator: ", ")).")
            return nil
        }
        guard case .string(let type) = typeNode else {
            error(pointer.slash("type"), "type", "`type` is a string.")
            return nil
        }
        switch type {
        case "message": return readMessage(fields).map(State.Kind.message)
        case "collect": return readCollect(fields).map(State.Kind.collect)
        case "choice": return readChoice(fields).map(State.Kind.choice)
        case "set": return readSet(fields).map(State.Kind.set)
        case "llm": return readModel(fields).map(State.Kind.llm)
        case "integration": return readIntegration(fields).map(State.Kind.integration)
        case "handoff": return readHandoff(fields).map(State.Kind.handoff)
        case "wait": return readWait(fields).map(State.Kind.wait)
        case "call": return readCall(fields).map(State.Kind.call)
        case "link": return readLink(fields).map(State.Kind.link)
        case "end": return readEnd(fields).map(State.Kind.end)
        default:
            error(pointer.slash("type"), "unknown-state-type", "`\(type)` is not a state type\(suggestion(type, Self.stateTypes)). The types are \(Self.stateTypes.joined(separator: ", ")).")
            return nil
        }
    }

    static let stateTypes = ["message", "collect", "choice", "set", "llm", "integration", "handoff", "wait", "call", "link", "end"]
    static let common = ["type", "description"]
    static let contentKeys = ["text", "media", "buttons", "list"]

    private mutating func readMessage(_ fields: Fields) -> MessageStep? {
        checkKeys(fields, allowed: Self.common + Self.contentKeys + ["messages", "next"])
        var messages: [OutboundContent] = []
        let hasInline = Self.contentKeys.contains { fields[$0] != nil }
        if let list = fields["messages"] {
            if hasInline {
                error(fields.pointer.slash("messages"), "conflict", "Write either one message inline or several in `messages`, not both.")
            }
            messages = contents(list, pointer: fields.pointer.slash("messages"), name: "messages") ?? []
            if messages.isEmpty, case .array = list {
                error(fields.pointer.slash("messages"), "required", "`messages` needs at least one message.")
            }
        } else if hasInline {
            if let content = content(fields, checkingKeys: false) { messages = [content] }
        } else {
            error(fields.pointer, "required", "A message state needs `text`, `media`, `buttons` or `list`, or several messages in `messages`.")
        }
        let next = target(fields, "next", required: true)
        return MessageStep(messages: messages, next: next ?? -1)
    }

    private mutating func readCollect(_ fields: Fields) -> CollectStep? {
        checkKeys(fields, allowed: Self.common + ["variable", "prompt", "validate", "retryText", "retry", "maxAttempts", "timeoutSeconds", "on"])
        let variable = variableName(fields, "variable", required: true)
        var prompt: [OutboundContent] = []
        if let node = fields["prompt"] { prompt = contents(node, pointer: fields.pointer.slash("prompt"), name: "prompt") ?? [] }
        var retry: [OutboundContent] = []
        if fields["retryText"] != nil && fields["retry"] != nil {
            error(fields.pointer.slash("retry"), "conflict", "Use `retryText` or `retry`, not both.")
        }
        if let node = fields["retryText"] ?? fields["retry"] {
            let key = fields["retryText"] != nil ? "retryText" : "retry"
            retry = contents(node, pointer: fields.pointer.slash(key), name: key) ?? []
        }
        let rule = readAnswerRule(fields["validate"], pointer: fields.pointer.slash("validate"))
        let maxAttempts = integer(fields, "maxAttempts", in: 1...20) ?? CollectStep.defaultMaxAttempts
        let timeoutSeconds = seconds(fields, "timeoutSeconds")
        let on = outcomes(fields, allowed: ["collected", "exhausted", "timeout"], required: ["collected", "exhausted"])
        if timeoutSeconds != nil && on.present["timeout"] == nil && fields["on"] != nil {
            error(fields.pointer.slash("on"), "required", "With `timeoutSeconds`, `on` needs a `timeout` state.")
        }
        if timeoutSeconds == nil, let pointer = on.present["timeout"] {
            warning(pointer, "unused-outcome", "`timeout` is never taken without `timeoutSeconds`.")
        }
        return CollectStep(
            variable: variable ?? "",
            prompt: prompt,
            rule: rule,
            retry: retry,
            maxAttempts: maxAttempts,
            timeoutSeconds: timeoutSeconds,
            collected: on.targets["collected"] ?? -1,
            exhausted: on.targets["exhausted"] ?? -1,
            timeout: timeoutSeconds == nil ? nil : on.targets["timeout"] ?? -1
        )
    }

    private mutating func readAnswerRule(_ node: JSONNode?, pointer: String) -> AnswerRule {
        var rule = AnswerRule(kind: .text, pattern: nil, minimum: nil, maximum: nil, options: [])
        guard let node else { return rule }
        guard case .object(let list) = node else {
            error(pointer, "type", "`validate` is an object such as {\"type\": \"number\", \"min\": 1}.")
            return rule
        }
        let fields = Fields(list, pointer: pointer)
        checkKeys(fields, allowed: ["type", "pattern", "min", "max", "options"])
        rule.kind = enumeration(fields, "type", AnswerRule.Kind.self) ?? .text
        rule.pattern = messagePattern(fields, "pattern")
        for key in ["min", "max"] {
            guard let bound = fields[key] else { continue }
            let boundPointer = pointer.slash(key)
            var value: AnswerRule.Bound?
            switch (rule.kind, bound) {
            case (.number, .number(let number)), (.integer, .number(let number)):
                value = .number(number)
            case (.text, .number(let number)):
                if number >= 0, number.rounded() == number { value = .number(number) } else {
                    error(boundPointer, "range", "For text answers, `\(key)` is a length in characters: a whole number from 0.")
                }
            case (.date, .string(let text)):
                value = DateAnswer.bound(text)
                if value == nil {
                    error(boundPointer, "date", "A date bound is `today`, `today+N`, `today-N` or a day such as `2027-03-31`.")
                }
            case (.number, _), (.integer, _), (.text, _):
                error(boundPointer, "type", "`\(key)` is a number here.")
            case (.date, _):
                error(boundPointer, "type", "A date bound is a string: `today`, `today+N`, `today-N` or a day such as `2027-03-31`.")
            default:
                error(boundPointer, "not-applicable", "`\(key)` applies to number, integer, text and date answers.")
            }
            if key == "min" { rule.minimum = value } else { rule.maximum = value }
        }
        var inverted = false
        switch (rule.minimum, rule.maximum) {
        case (.number(let low)?, .number(let high)?): inverted = low > high
        case (.day(let lowRelative, let lowFixed)?, .day(let highRelative, let highFixed)?):
            if let low = lowRelative, let high = highRelative { inverted = low > high }
            if let low = lowFixed, let high = highFixed { inverted = low > high }
        default: break
        }
        if inverted { error(pointer.slash("min"), "range", "`min` is after `max`, so no answer could pass.") }
        if let options = fields["options"] {
            let optionsPointer = pointer.slash("options")
            if rule.kind != .choice {
                error(optionsPointer, "not-applicable", "`options` applies to `choice` answers.")
            }
            if case .array(let elements) = options, !elements.isEmpty {
                var seen: Set<String> = []
                for (index, element) in elements.enumerated() {
                    let elementPointer = optionsPointer.slash(index)
                    var option: AnswerRule.Option?
                    switch element {
                    case .string(let value): option = .init(value: value, synonyms: [])
                    case .object(let list):
                        let optionFields = Fields(list, pointer: elementPointer)
                        checkKeys(optionFields, allowed: ["value", "synonyms"])
                        if let value = string(optionFields, "value", required: true) {
                            option = .init(value: value, synonyms: (stringArray(optionFields, "synonyms") ?? []).map(Keyword.normalize))
                        }
                    default:
                        error(elementPointer, "type", "An option is a string or {\"value\": …, \"synonyms\": […]}.")
                    }
                    if let option {
                        if !seen.insert(Keyword.normalize(option.value)).inserted {
                            error(elementPointer, "duplicate-id", "The option `\(option.value)` is listed twice.")
                        }
                        rule.options.append(option)
                    }
                }
            } else {
                error(optionsPointer, "type", "`options` is a non-empty array of strings or {\"value\": …, \"synonyms\": […]}.")
            }
        } else if rule.kind == .choice {
            error(pointer, "required", "A `choice` answer needs `options`.")
        }
        return rule
    }

    private mutating func readChoice(_ fields: Fields) -> ChoiceStep? {
        checkKeys(fields, allowed: Self.common + ["choices", "default"])
        var choices: [(rule: Rule, next: Int)] = []
        switch fields["choices"] {
        case .array(let elements)? where !elements.isEmpty:
            for (index, element) in elements.enumerated() {
                let pointer = fields.pointer.slash("choices").slash(index)
                guard case .object(let list) = element else {
                    error(pointer, "type", "A choice is an object: {\"if\": rule, \"next\": state}.")
                    continue
                }
                let choice = Fields(list, pointer: pointer)
                checkKeys(choice, allowed: ["if", "next", "description"])
                let rule: Rule?
                if let node = choice["if"] { rule = readRule(node, pointer: pointer.slash("if"), depth: 0) } else {
                    error(pointer, "required", "A choice needs `if`, the rule to test.")
                    rule = nil
                }
                let next = target(choice, "next", required: true)
                if let rule { choices.append((rule, next ?? -1)) }
            }
        case nil:
            error(fields.pointer, "required", "A choice state needs `choices`, an array of {\"if\": rule, \"next\": state}.")
        default:
            error(fields.pointer.slash("choices"), "type", "`choices` is a non-empty array of {\"if\": rule, \"next\": state}.")
        }
        let fallback: Int?
        if fields["default"] == nil {
            error(fields.pointer, "choice-without-default", "A choice state needs `default`, the state to go to when no rule holds.")
            fallback = nil
        } else {
            fallback = target(fields, "default", required: true)
        }
        return ChoiceStep(choices: choices, fallback: fallback ?? -1)
    }

    private mutating func readRule(_ node: JSONNode, pointer: String, depth: Int) -> Rule? {
        guard depth < 16 else {
            error(pointer, "too-deep", "Rules nest at most 16 levels deep.")
            return nil
        }
        guard case .object(let list) = node else {
            error(pointer, "type", "A rule is an object such as {\"var\": \"order.status\", \"equals\": \"shipped\"}.")
            return nil
        }
        let fields = Fields(list, pointer: pointer)
        for combinator in ["and", "or"] where fields[combinator] != nil {
            checkKeys(fields, allowed: [combinator])
            guard case .array(let elements)? = fields[combinator], !elements.isEmpty else {
                error(pointer.slash(combinator), "type", "`\(combinator)` is a non-empty array of rules.")
                return nil
            }
            let rules = elements.enumerated().compactMap { readRule($0.element, pointer: pointer.slash(combinator).slash($0.offset), depth: depth + 1) }
            guard rules.count == elements.count else { return nil }
            return combinator == "and" ? .and(rules) : .or(rules)
        }
        if let inner = fields["not"] {
            checkKeys(fields, allowed: ["not"])
            return readRule(inner, pointer: pointer.slash("not"), depth: depth + 1).map(Rule.not)
        }
        checkKeys(fields, allowed: ["var", "exists", "ignoreCase"] + Rule.comparisonNames)
        guard let pathText = string(fields, "var", required: true) else { return nil }
        guard let path = VariablePath(pathText) else {
            error(pointer.slash("var"), "path", "`\(pathText)` is not a variable path such as `order.status` or `contact.name`.")
            return nil
        }
        if currentState >= 0 { uses.append((currentState, pointer.slash("var"), path)) }
        let operators = Rule.comparisonNames.filter { fields[$0] != nil } + (fields["exists"] != nil ? ["exists"] : [])
        guard operators.count == 1, let name = operators.first else {
            error(pointer, operators.isEmpty ? "required" : "conflict", "A rule has exactly one operator: \(Rule.comparisonNames.joined(separator: ", ")) or exists\(operators.isEmpty ? "" : "; this one has \(operators.joined(separator: ", "))").")
            return nil
        }
        let ignoreCase = bool(fields, "ignoreCase") ?? false
        let operandPointer = pointer.slash(name)
        let operand = fields[name]!
        switch name {
        case "exists":
            guard case .bool(let flag) = operand else {
                error(operandPointer, "type", "`exists` is true or false.")
                return nil
            }
            return .exists(path, flag)
        case "matches":
            guard let pattern = messagePattern(fields, "matches") else { return nil }
            if fields["ignoreCase"] != nil {
                warning(pointer.slash("ignoreCase"), "unused-field", "`ignoreCase` does not apply to `matches`; start the pattern with `(?i)` instead.")
            }
            return .compare(path, .matches(pattern), ignoreCase: ignoreCase)
        case "in":
            guard case .array(let elements) = operand, !elements.isEmpty else {
                error(operandPointer, "type", "`in` is a non-empty array of values.")
                return nil
            }
            let values = elements.enumerated().compactMap { valueTemplate($0.element, pointer: operandPointer.slash($0.offset)) }
            return values.count == elements.count ? .compare(path, .oneOf(values), ignoreCase: ignoreCase) : nil
        case "gt", "gte", "lt", "lte":
            switch operand {
            case .number, .string: break
            default:
                error(operandPointer, "type", "`\(name)` compares with a number, or a string such as an ISO date.")
                return nil
            }
            guard let value = valueTemplate(operand, pointer: operandPointer) else { return nil }
            let comparison: Rule.Comparison =
                switch name {
                case "gt": .greaterThan(value)
                case "gte": .greaterThanOrEqual(value)
                case "lt": .lessThan(value)
                default: .lessThanOrEqual(value)
                }
            return .compare(path, comparison, ignoreCase: ignoreCase)
        default:
            guard let value = valueTemplate(operand, pointer: operandPointer) else { return nil }
            let comparison: Rule.Comparison =
                switch name {
                case "equals": .equals(value)
                case "notEquals": .notEquals(value)
                default: .contains(value)
                }
            return .compare(path, comparison, ignoreCase: ignoreCase)
        }
    }

    private mutating func readSet(_ fields: Fields) -> SetStep? {
        checkKeys(fields, allowed: Self.common + ["assign", "next"])
        var assignments: [(name: String, value: ValueTemplate)] = []
        switch fields["assign"] {
        case .object(let members)? where !members.isEmpty:
            for (name, node) in members {
                let pointer = fields.pointer.slash("assign").slash(name)
                checkVariableName(name, at: pointer)
                if let value = valueTemplate(node, pointer: pointer) { assignments.append((name, value)) }
            }
        case nil:
            error(fields.pointer, "required", "A set state needs `assign`, an object of variable names and values.")
        default:
            error(fields.pointer.slash("assign"), "type", "`assign` is a non-empty object of variable names and values.")
        }
        let next = target(fields, "next", required: true)
        return SetStep(assignments: assignments, next: next ?? -1)
    }

    private mutating func readModel(_ fields: Fields) -> ModelStep? {
        checkKeys(fields, allowed: Self.common + ["route", "prompt", "messages", "input", "output", "schema", "temperature", "maxTokens", "timeoutSeconds", "on"])
        let route = slug(fields, "route", required: true)
        var prompt: PromptReference?
        if let text = string(fields, "prompt") {
            prompt = Self.promptReference(text)
            if prompt == nil {
                error(fields.pointer.slash("prompt"), "prompt", "A prompt is referenced as `name@version`, such as `order-update@2`.")
            }
        }
        var messages: [(role: String, content: Template)] = []
        if let node = fields["messages"] {
            let pointer = fields.pointer.slash("messages")
            if case .array(let elements) = node, !elements.isEmpty {
                for (index, element) in elements.enumerated() {
                    let elementPointer = pointer.slash(index)
                    guard case .object(let list) = element else {
                        error(elementPointer, "type", "A message is {\"role\": \"system\"|\"user\"|\"assistant\", \"content\": text}.")
                        continue
                    }
                    let message = Fields(list, pointer: elementPointer)
                    checkKeys(message, allowed: ["role", "content"])
                    let role = string(message, "role", required: true)
                    if let role, !["system", "user", "assistant"].contains(role) {
                        error(elementPointer.slash("role"), "enum", "`role` is `system`, `user` or `assistant`.")
                    }
                    if let content = template(message, "content", required: true), let role { messages.append((role, content)) }
                }
            } else {
                error(pointer, "type", "`messages` is a non-empty array of {\"role\", \"content\"}.")
            }
        }
        if fields["prompt"] == nil && fields["messages"] == nil {
            error(fields.pointer, "required", "An llm state needs `prompt` (`name@version`) or inline `messages`.")
        }
        let input = inputMap(fields, "input")
        let output = variableName(fields, "output", required: false)
        var schema: FlowValue?
        if let node = fields["schema"] {
            if case .object = node { schema = node.value } else {
                error(fields.pointer.slash("schema"), "type", "`schema` is a JSON Schema object for structured output.")
            }
        }
        let temperature = number(fields, "temperature", in: 0...2)
        let maxTokens = integer(fields, "maxTokens", in: 1...1_000_000)
        let timeout = seconds(fields, "timeoutSeconds", maximum: 600) ?? ModelStep.defaultTimeoutSeconds
        let on = outcomes(fields, allowed: ["success", "failure"], required: ["success", "failure"])
        return ModelStep(
            route: route ?? "",
            prompt: prompt,
            messages: messages,
            input: input,
            output: output,
            schema: schema,
            temperature: temperature,
            maxTokens: maxTokens,
            timeoutSeconds: timeout,
            success: on.targets["success"] ?? -1,
            failure: on.targets["failure"] ?? -1
        )
    }

    private mutating func readIntegration(_ fields: Fields) -> IntegrationStep? {
        checkKeys(fields, allowed: Self.common + ["integration", "operation", "input", "output", "retry", "timeoutSeconds", "on"])
        let integration = slug(fields, "integration", required: true)
        let operation = string(fields, "operation", required: true)
        if let operation, !Self.isIdentifier(operation) {
            error(fields.pointer.slash("operation"), "operation", "An operation name is a letter or `_`, then letters, digits, `_` or `-`.")
        }
        let input = inputMap(fields, "input")
        let output = variableName(fields, "output", required: false)
        var retry = RetryPolicy.none
        if let node = object(fields, "retry") {
            checkKeys(node, allowed: ["maxAttempts", "backoffSeconds", "multiplier", "maxBackoffSeconds"])
            retry.maxAttempts = integer(node, "maxAttempts", in: 1...10) ?? 3
            retry.backoffSeconds = number(node, "backoffSeconds", in: 0...3600) ?? 1
            retry.multiplier = number(node, "multiplier", in: 1...10) ?? 2
            retry.maxBackoffSeconds = number(node, "maxBackoffSeconds", in: 0...86_400) ?? 30
        }
        let timeout = seconds(fields, "timeoutSeconds", maximum: 600) ?? IntegrationStep.defaultTimeoutSeconds
        let on = outcomes(fields, allowed: ["success", "failure"], required: ["success", "failure"])
        return IntegrationStep(
            integration: integration ?? "",
            operation: operation ?? "",
            input: input,
            output: output,
            retry: retry,
            timeoutSeconds: timeout,
            success: on.targets["success"] ?? -1,
            failure: on.targets["failure"] ?? -1
        )
    }

    private mutating func readHandoff(_ fields: Fields) -> HandoffStep? {
        checkKeys(fields, allowed: Self.common + ["queue", "priority", "note", "next"])
        let queue = slug(fields, "queue", required: true)
        var priority = "normal"
        if let value = string(fields, "priority") {
            if ["low", "normal", "high", "urgent"].contains(value) { priority = value } else {
                error(fields.pointer.slash("priority"), "enum", "`priority` is `low`, `normal`, `high` or `urgent`.")
            }
        }
        let note = template(fields, "note", required: false)
        let next = fields["next"] == nil ? nil : target(fields, "next", required: true)
        return HandoffStep(queue: queue ?? "", priority: priority, note: note, next: next ?? (fields["next"] == nil ? nil : -1))
    }

    private mutating func readWait(_ fields: Fields) -> WaitStep? {
        checkKeys(fields, allowed: Self.common + ["seconds", "next"])
        let duration = seconds(fields, "seconds", maximum: 90 * 86_400)
        if fields["seconds"] == nil { error(fields.pointer, "required", "A wait state needs `seconds`.") }
        let next = target(fields, "next", required: true)
        return WaitStep(seconds: duration ?? 1, next: next ?? -1)
    }

    private mutating func readCall(_ fields: Fields) -> CallStep? {
        checkKeys(fields, allowed: Self.common + ["flow", "version", "input", "output", "next"])
        let flow = slug(fields, "flow", required: true)
        let version = integer(fields, "version", in: 1...Int(Int32.max))
        if fields["version"] == nil {
            error(fields.pointer, "required", "A call state needs `version`: a subflow is pinned to a published version, so publishing it again cannot change this flow.")
        }
        let input = inputMap(fields, "input")
        var output: [(variable: String, from: String)] = []
        if let node = object(fields, "output") {
            for (name, value) in node.members {
                let pointer = node.pointer.slash(name)
                checkVariableName(name, at: pointer)
                guard case .string(let from) = value, Self.isIdentifier(from) else {
                    error(pointer, "type", "Each output names the subflow variable to copy back, such as \"verified\".")
                    continue
                }
                output.append((name, from))
            }
        }
        let next = target(fields, "next", required: true)
        return CallStep(flow: flow ?? "", version: version ?? 1, input: input, output: output, next: next ?? -1)
    }

    private mutating func readLink(_ fields: Fields) -> LinkStep? {
        checkKeys(fields, allowed: Self.common + ["flow", "version", "input"])
        let flow = slug(fields, "flow", required: true)
        let version = integer(fields, "version", in: 1...Int(Int32.max))
        return LinkStep(flow: flow ?? "", version: version, input: inputMap(fields, "input"))
    }

    private mutating func readEnd(_ fields: Fields) -> EndStep? {
        checkKeys(fields, allowed: Self.common + ["status"])
        return EndStep(status: slug(fields, "status", required: false) ?? EndStep.defaultStatus)
    }

    // MARK: Messages

    private mutating func contents(_ node: JSONNode, pointer: String, name: String) -> [OutboundContent]? {
        switch node {
        case .string:
            return template(node, pointer: pointer).map { [OutboundContent(text: $0, media: nil, buttons: [], list: nil)] }
        case .object(let list):
            return content(Fields(list, pointer: pointer)).map { [$0] }
        case .array(let elements):
            return elements.enumerated().compactMap { element -> OutboundContent? in
                let elementPointer = pointer.slash(element.offset)
                switch element.element {
                case .string: return template(element.element, pointer: elementPointer).map { OutboundContent(text: $0, media: nil, buttons: [], list: nil) }
                case .object(let list): return content(Fields(list, pointer: elementPointer))
                default:
                    error(elementPointer, "type", "A message is a string or an object with `text`, `media`, `buttons` or `list`.")
                    return nil
                }
            }
        default:
            error(pointer, "type", "`\(name)` is a string, a message object, or an array of them.")
            return nil
        }
    }

    private mutating func content(_ fields: Fields, checkingKeys: Bool = true) -> OutboundContent? {
        if checkingKeys { checkKeys(fields, allowed: Self.contentKeys) }
        var content = OutboundContent(text: template(fields, "text", required: false), media: nil, buttons: [], list: nil)
        if let media = object(fields, "media") {
            media.check(&self, allowed: ["kind", "url", "caption", "filename"])
            let kind = enumeration(media, "kind", OutboundContent.Media.Kind.self)
            if media["kind"] == nil { error(media.pointer, "required", "`media` needs a `kind`: image, video, audio or file.") }
            let url = template(media, "url", required: true)
            if let url, url.compiled == nil, !(url.source.hasPrefix("https://") || url.source.hasPrefix("http://")) {
                error(media.pointer.slash("url"), "url", "`url` is an http(s) address.")
            }
            if let kind, let url {
                content.media = .init(kind: kind, url: url, caption: template(media, "caption", required: false), filename: string(media, "filename"))
            }
        }
        if let node = fields["buttons"] {
            let pointer = fields.pointer.slash("buttons")
            if case .array(let elements) = node, (1...10).contains(elements.count) {
                var seen: Set<String> = []
                for (index, element) in elements.enumerated() {
                    let elementPointer = pointer.slash(index)
                    switch element {
                    case .string(let title):
                        if !seen.insert(Keyword.normalize(title)).inserted {
                            error(elementPointer, "duplicate-id", "Two buttons share the id `\(Keyword.normalize(title))`.")
                        }
                        if let titleTemplate = template(element, pointer: elementPointer) {
                            content.buttons.append(.init(id: Keyword.normalize(title), title: titleTemplate))
                        }
                    case .object(let list):
                        let button = Fields(list, pointer: elementPointer)
                        checkKeys(button, allowed: ["id", "title"])
                        let title = template(button, "title", required: true)
                        let id = string(button, "id") ?? title.map { Keyword.normalize($0.source) }
                        if let id, !seen.insert(id).inserted {
                            error(elementPointer, "duplicate-id", "Two buttons share the id `\(id)`.")
                        }
                        if let id, let title { content.buttons.append(.init(id: id, title: title)) }
                    default:
                        error(elementPointer, "type", "A button is a string or {\"id\", \"title\"}.")
                    }
                }
            } else {
                error(pointer, "type", "`buttons` is an array of 1 to 10 buttons (channels show at most 3 as quick replies, more as a list).")
            }
        }
        if let list = object(fields, "list") {
            list.check(&self, allowed: ["button", "sections"])
            let button = template(list, "button", required: true)
            var sections: [OutboundContent.ListPicker.Section] = []
            var seen: Set<String> = []
            if case .array(let elements)? = list["sections"], !elements.isEmpty {
                for (index, element) in elements.enumerated() {
                    let sectionPointer = list.pointer.slash("sections").slash(index)
                    guard case .object(let sectionList) = element else {
                        error(sectionPointer, "type", "A section is {\"title\", \"rows\"}.")
                        continue
                    }
                    let section = Fields(sectionList, pointer: sectionPointer)
                    checkKeys(section, allowed: ["title", "rows"])
                    var rows: [OutboundContent.ListPicker.Row] = []
                    if case .array(let rowNodes)? = section["rows"], !rowNodes.isEmpty {
                        for (rowIndex, rowNode) in rowNodes.enumerated() {
                            let rowPointer = sectionPointer.slash("rows").slash(rowIndex)
                            guard case .object(let rowList) = rowNode else {
                                error(rowPointer, "type", "A row is {\"id\", \"title\", \"description\"}.")
                                continue
                            }
                            let row = Fields(rowList, pointer: rowPointer)
                            checkKeys(row, allowed: ["id", "title", "description"])
                            let id = string(row, "id", required: true)
                            let title = template(row, "title", required: true)
                            if let id, !seen.insert(id).inserted {
                                error(rowPointer.slash("id"), "duplicate-id", "Two rows share the id `\(id)`.")
                            }
                            if let id, let title {
                                rows.append(.init(id: id, title: title, description: template(row, "description", required: false)))
                            }
                        }
                    } else {
                        error(sectionPointer, "required", "A section needs `rows`, a non-empty array.")
                    }
                    sections.append(.init(title: template(section, "title", required: false), rows: rows))
                }
            } else {
                error(list.pointer, "required", "A list needs `sections`, a non-empty array.")
            }
            if let button { content.list = .init(button: button, sections: sections) }
        }
        if content.text == nil && content.media == nil && content.buttons.isEmpty && content.list == nil {
            error(fields.pointer, "required", "A message needs `text`, `media`, `buttons` or `list`.")
            return nil
        }
        if !content.buttons.isEmpty && content.list != nil {
            error(fields.pointer, "conflict", "A message has buttons or a list, not both.")
        }
        return content
    }

    // MARK: Fields

    /// An object's members with the pointer to it.
    struct Fields {
        let members: [(key: String, value: JSONNode)]
        let pointer: String
        init(_ members: [(key: String, value: JSONNode)], pointer: String) {
            self.members = members
            self.pointer = pointer
        }
        subscript(key: String) -> JSONNode? { members.first(where: { $0.key == key })?.value }
        func check(_ reader: inout FlowReader, allowed: [String]) { reader.checkKeys(self, allowed: allowed) }
    }

    mutating func checkKeys(_ fields: Fields, allowed: [String]) {
        for (key, _) in fields.members where !allowed.contains(key) && key != "$comment" && !key.hasPrefix("x-") {
            error(fields.pointer.slash(key), "unknown-field", "`\(key)` is not a field here\(suggestion(key, allowed.sorted())). Editor metadata can go in fields that start with `x-`.")
        }
    }

    private mutating func object(_ fields: Fields, _ key: String) -> Fields? {
        guard let node = fields[key] else { return nil }
        guard case .object(let members) = node else {
            error(fields.pointer.slash(key), "type", "`\(key)` is an object, not \(article(node.typeName)).")
            return nil
        }
        return Fields(members, pointer: fields.pointer.slash(key))
    }

    private mutating func string(_ fields: Fields, _ key: String, required: Bool = false) -> String? {
        guard let node = fields[key] else {
            if required { error(fields.pointer, "required", "`\(key)` is required here.") }
            return nil
        }
        guard case .string(let value) = node else {
            error(fields.pointer.slash(key), "type", "`\(key)` is a string, not \(article(node.typeName)).")
            return nil
        }
        return value
    }

    private mutating func slug(_ fields: Fields, _ key: String, required: Bool) -> String? {
        guard let value = string(fields, key, required: required) else { return nil }
        guard Self.isSlug(value) else {
            error(fields.pointer.slash(key), "slug", "`\(key)` is \(Self.slugPattern).")
            return nil
        }
        return value
    }

    private mutating func variableName(_ fields: Fields, _ key: String, required: Bool) -> String? {
        guard let value = string(fields, key, required: required) else { return nil }
        guard Self.isIdentifier(value) else {
            error(fields.pointer.slash(key), "variable-name", Self.variableNameRule)
            return nil
        }
        if VariablePath.Root(rawValue: value) != nil {
            error(fields.pointer.slash(key), "variable-name", "`\(value)` is reserved: templates read it as the conversation's \(value).")
        }
        return value
    }

    private mutating func checkVariableName(_ name: String, at pointer: String) {
        if !Self.isIdentifier(name) {
            error(pointer, "variable-name", Self.variableNameRule)
        } else if VariablePath.Root(rawValue: name) != nil {
            error(pointer, "variable-name", "`\(name)` is reserved: templates read it as the conversation's \(name).")
        }
    }

    private mutating func stringArray(_ fields: Fields, _ key: String) -> [String]? {
        guard let node = fields[key] else { return nil }
        guard case .array(let elements) = node, !elements.isEmpty else {
            error(fields.pointer.slash(key), "type", "`\(key)` is a non-empty array of strings.")
            return nil
        }
        var out: [String] = []
        for (index, element) in elements.enumerated() {
            if case .string(let value) = element, !value.trimmingWhitespace.isEmpty { out.append(value) } else {
                error(fields.pointer.slash(key).slash(index), "type", "Each entry of `\(key)` is a non-empty string.")
            }
        }
        return out
    }

    private mutating func bool(_ fields: Fields, _ key: String) -> Bool? {
        guard let node = fields[key] else { return nil }
        guard case .bool(let value) = node else {
            error(fields.pointer.slash(key), "type", "`\(key)` is true or false.")
            return nil
        }
        return value
    }

    private mutating func number(_ fields: Fields, _ key: String, in range: ClosedRange<Double>) -> Double? {
        guard let node = fields[key] else { return nil }
        guard case .number(let value) = node, range.contains(value) else {
            error(fields.pointer.slash(key), "range", "`\(key)` is a number from \(FlowValue.format(range.lowerBound)) to \(FlowValue.format(range.upperBound)).")
            return nil
        }
        return value
    }

    private mutating func integer(_ fields: Fields, _ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let node = fields[key] else { return nil }
        guard case .number(let value) = node, value.rounded() == value, Double(range.lowerBound) <= value,
            value <= Double(range.upperBound)
        else {
            error(fields.pointer.slash(key), "range", "`\(key)` is a whole number from \(range.lowerBound) to \(range.upperBound).")
            return nil
        }
        return Int(value)
    }

    private mutating func seconds(_ fields: Fields, _ key: String, maximum: Double = 30 * 86_400) -> Double? {
        guard let node = fields[key] else { return nil }
        guard case .number(let value) = node, value >= 1, value <= maximum else {
            error(fields.pointer.slash(key), "range", "`\(key)` is a number of seconds from 1 to \(FlowValue.format(maximum)).")
            return nil
        }
        return value
    }

    private mutating func enumeration<E: RawRepresentable & CaseIterable>(_ fields: Fields, _ key: String, _: E.Type) -> E?
    where E.RawValue == String {
        guard let text = string(fields, key) else { return nil }
        guard let value = E(rawValue: text) else {
            let names = E.allCases.map(\.rawValue)
            error(fields.pointer.slash(key), "enum", "`\(text)` is not one of \(names.joined(separator: ", "))\(suggestion(text, names)).")
            return nil
        }
        return value
    }

    private mutating func target(_ fields: Fields, _ key: String, required: Bool) -> Int? {
        guard let node = fields[key] else {
            if required { error(fields.pointer, "required", "`\(key)` is required here: the id of the state to go to.") }
            return nil
        }
        guard case .string(let id) = node else {
            error(fields.pointer.slash(key), "type", "`\(key)` is the id of a state, a string.")
            return nil
        }
        guard let index = stateIndex[id] else {
            error(fields.pointer.slash(key), "dangling-transition", "`\(key)` goes to `\(id)`, which is not a state of this flow\(suggestion(id, stateIDs)).")
            return -1
        }
        return index
    }

    /// The `on` object of a state with outcomes.
    private mutating func outcomes(_ fields: Fields, allowed: [String], required: [String]) -> (targets: [String: Int], present: [String: String]) {
        guard let on = object(fields, "on") else {
            if fields["on"] == nil {
                error(fields.pointer, "required", "`on` is required: the states for \(required.map { "`\($0)`" }.joined(separator: " and ")).")
            }
            return ([:], [:])
        }
        on.check(&self, allowed: allowed)
        var targets: [String: Int] = [:]
        var present: [String: String] = [:]
        for key in allowed.sorted() where on[key] != nil {
            present[key] = on.pointer.slash(key)
            if let index = target(on, key, required: true) { targets[key] = index }
        }
        for key in required where on[key] == nil {
            error(on.pointer, "required", "`on` needs `\(key)`, the state to go to on that outcome.")
        }
        return (targets, present)
    }

    private mutating func template(_ fields: Fields, _ key: String, required: Bool) -> Template? {
        guard let node = fields[key] else {
            if required { error(fields.pointer, "required", "`\(key)` is required here.") }
            return nil
        }
        return template(node, pointer: fields.pointer.slash(key))
    }

    private mutating func template(_ node: JSONNode, pointer: String) -> Template? {
        guard case .string(let text) = node else {
            error(pointer, "type", "A text or template string was expected, not \(article(node.typeName)).")
            return nil
        }
        do {
            let template = try Template(text)
            if currentState >= 0 {
                for path in template.references { uses.append((currentState, pointer, path)) }
            }
            return template
        } catch {
            self.error(pointer, "template", "The template is not usable: \(error.description).")
            return nil
        }
    }

    private mutating func messagePattern(_ fields: Fields, _ key: String) -> MessagePattern? {
        guard let text = string(fields, key) else { return nil }
        do {
            return try MessagePattern(text)
        } catch {
            self.error(fields.pointer.slash(key), "pattern", "The pattern is not usable: \(error.description).")
            return nil
        }
    }

    private mutating func inputMap(_ fields: Fields, _ key: String) -> [(key: String, value: ValueTemplate)] {
        guard let node = object(fields, key) else { return [] }
        return node.members.compactMap { member in
            valueTemplate(member.value, pointer: node.pointer.slash(member.key)).map { (member.key, $0) }
        }
    }

    mutating func valueTemplate(_ node: JSONNode, pointer: String) -> ValueTemplate? {
        switch node {
        case .string(let text):
            guard Template.hasTags(text) else { return .literal(.string(text)) }
            guard let template = template(node, pointer: pointer) else { return nil }
            if let sole = template.soleReference, let path = VariablePath(sole) { return .reference(path) }
            return .template(template)
        case .array(let elements):
            let values = elements.enumerated().compactMap { valueTemplate($0.element, pointer: pointer.slash($0.offset)) }
            return values.count == elements.count ? .array(values) : nil
        case .object(let members):
            let values = members.compactMap { member in valueTemplate(member.value, pointer: pointer.slash(member.key)).map { (member.key, $0) } }
            return values.count == members.count ? .object(values) : nil
        default:
            return .literal(node.value)
        }
    }

    // MARK: Words

    static let variableNameRule = "A variable name is a letter or `_`, then letters, digits, `_` or `-` (at most 64)."

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, text.utf8.count <= 64 else { return false }
        guard first == UInt8(ascii: "_") || (first | 0x20) &- UInt8(ascii: "a") < 26 else { return false }
        return text.utf8.allSatisfy { byte in
            byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || (byte | 0x20) &- UInt8(ascii: "a") < 26
                || byte &- UInt8(ascii: "0") < 10
        }
    }

    static func isSlug(_ text: String) -> Bool {
        guard let first = text.utf8.first, text.utf8.count <= 64 else { return false }
        guard first &- UInt8(ascii: "a") < 26 || first &- UInt8(ascii: "0") < 10 else { return false }
        return text.utf8.allSatisfy { byte in
            byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "a") < 26
                || byte &- UInt8(ascii: "0") < 10
        }
    }

    static func promptReference(_ text: String) -> PromptReference? {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, isSlug(String(parts[0])), let version = Int(parts[1]), version >= 1 else { return nil }
        return PromptReference(name: String(parts[0]), version: version)
    }

    static func value(_ value: FlowValue, fits type: FlowDefinition.VariableType) -> Bool {
        switch (type, value) {
        case (.any, _), (_, .null), (.string, .string), (.number, .number), (.boolean, .bool), (.object, .object),
            (.array, .array):
            return true
        default:
            return false
        }
    }

    private func isWholeNumber(_ node: JSONNode, atLeast minimum: Double) -> Bool {
        if case .number(let value) = node { return value.rounded() == value && value >= minimum }
        return false
    }

    private func article(_ typeName: String) -> String {
        (["array", "object"].contains(typeName) ? "an " : "a ") + typeName
    }

    /// ` (did you mean `x`?)` for the closest candidate within two edits, or nothing.
    func suggestion(_ word: String, _ candidates: [String]) -> String {
        guard word.count <= 64 else { return "" }
        var best: (String, Int)?
        for candidate in candidates where abs(candidate.count - word.count) <= 2 {
            let distance = Self.editDistance(word.lowercased(), candidate.lowercased())
            if distance <= 2, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best.map { " (did you mean `\($0.0)`?)" } ?? ""
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}

/// Keyword comparison for interrupts, options, synonyms and channel triggers: lowercase, without surrounding
/// whitespace or punctuation, with runs of whitespace as one space (`" Agent! "` → `agent`).
public enum Keyword {
    /// The form keywords and messages are compared in.
    public static func normalize(_ text: String) -> String {
        var out = ""
        var pendingSpace = false
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.unicodeScalars.append(" ")
                pendingSpace = false
            }
            out.unicodeScalars.append(scalar)
        }
        let edge: (Unicode.Scalar) -> Bool = { isPunctuation($0) || $0.properties.isWhitespace }
        let trimmed = out.unicodeScalars.drop(while: edge).reversed().drop(while: edge).reversed()
        return String(String.UnicodeScalarView(trimmed))
    }

    private static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .otherPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .connectorPunctuation:
            return true
        default:
            return false
        }
    }
}
