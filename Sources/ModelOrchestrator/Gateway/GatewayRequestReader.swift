import ChorusCore
import Foundation

/// Reads a Chat Completions request body, collecting every problem with its pointer instead of stopping at the
/// first. The body is untrusted input: nothing here traps on what a caller sends.
///
/// A missing member and a `null` one are the same: clients written against OpenAI's SDKs send `null` for options
/// they leave unset.
struct GatewayRequestReader {
    typealias Code = GatewayRequestError.Code

    private(set) var errors: [GatewayRequestError.FieldError] = []

    /// The members this reader reads, beside ``GatewayRequest/ignoredMembers``.
    static let readMembers: Set<String> = [
        "model", "messages", "temperature", "max_completion_tokens", "max_tokens", "stop", "n", "tools",
        "response_format", "stream", "stream_options", "user",
    ]

    /// OpenAI's limit on stop sequences.
    static let maximumStopSequences = 4

    /// The parameters a tool without `parameters` takes: none.
    static let noParameters: JSONValue = .object(["type": .string("object"), "properties": .object([:])])

    /// The request in `body`, or `nil` when the body is not a JSON object; check ``errors`` either way.
    mutating func read(_ body: Data) -> GatewayRequest? {
        guard let json = WireJSON.parse(body) else {
            fail("", .syntax, "The request body is not valid JSON.")
            return nil
        }
        guard case .object(let root) = json else {
            fail("", .type, "The request body must be a JSON object, not \(Self.article(json)).")
            return nil
        }

        let model = nonEmptyString(root["model"], at: "/model", name: "model", required: true) ?? ""
        let (system, messages) = readMessages(root["messages"])
        let temperature = number(root["temperature"], at: "/temperature", name: "temperature", range: 0...2)
        let maxCompletionTokens = integer(
            root["max_completion_tokens"],
            at: "/max_completion_tokens",
            name: "max_completion_tokens",
            minimum: 1
        )
        let maxTokens = integer(root["max_tokens"], at: "/max_tokens", name: "max_tokens", minimum: 1)
        let stop = readStop(root["stop"])
        readN(root["n"])
        let tools = readTools(root["tools"])
        let responseSchema = readResponseFormat(root["response_format"])
        let stream = bool(root["stream"], at: "/stream", name: "stream") ?? false
        let includeUsage = readStreamOptions(root["stream_options"])
        let user = string(root["user"], at: "/user", name: "user", required: false)

        for key in root.keys.sorted()
        where !Self.readMembers.contains(key) && !GatewayRequest.ignoredMembers.contains(key) {
            fail(
                JSONPointer.appending("", key),
                .unknown,
                "Unrecognized request member \(key.debugDescription)."
            )
        }

        return GatewayRequest(
            model: model,
            request: ModelRequest(
                system: system.isEmpty ? nil : system.joined(separator: "\n\n"),
                messages: messages,
                temperature: temperature,
                maxTokens: maxCompletionTokens ?? maxTokens,
                tools: tools,
                responseSchema: responseSchema,
                stop: stop
            ),
            stream: stream,
            includeUsage: stream && includeUsage,
            user: user
        )
    }

    // MARK: - Messages

    private mutating func readMessages(_ value: JSONValue?) -> (system: [String], messages: [ModelMessage]) {
        guard let items = array(value, at: "/messages", name: "messages", required: true) else { return ([], []) }
        guard !items.isEmpty else {
            fail("/messages", .empty, "messages must contain at least one message.")
            return ([], [])
        }
        var system: [String] = []
        var messages: [ModelMessage] = []
        for (index, item) in items.enumerated() {
            let pointer = JSONPointer.appending("/messages", String(index))
            guard case .object(let message) = item else {
                fail(pointer, .type, "Each message must be an object, not \(Self.article(item)).")
                continue
            }
            let rolePointer = JSONPointer.appending(pointer, "role")
            guard let role = string(message["role"], at: rolePointer, name: "role", required: true) else { continue }
            let contentPointer = JSONPointer.appending(pointer, "content")
            switch role {
            case "system", "developer":
                if let text = content(message["content"], at: contentPointer, role: role, required: true) {
                    system.append(text)
                }
            case "user":
                if let text = content(message["content"], at: contentPointer, role: role, required: true) {
                    messages.append(ModelMessage(role: .user, content: text))
                }
            case "assistant":
                if let assistant = readAssistant(message, at: pointer) { messages.append(assistant) }
            case "tool":
                let id = nonEmptyString(
                    message["tool_call_id"],
                    at: JSONPointer.appending(pointer, "tool_call_id"),
                    name: "tool_call_id",
                    required: true
                )
                let text = content(message["content"], at: contentPointer, role: role, required: true)
                if let id, let text { messages.append(ModelMessage(role: .tool, content: text, toolCallID: id)) }
            case "function":
                fail(
                    rolePointer,
                    .unsupported,
                    "The function role is not supported: send tool results with the tool role."
                )
            default:
                fail(
                    rolePointer,
                    .invalid,
                    "role must be system, developer, user, assistant or tool, not \(role.debugDescription)."
                )
            }
        }
        return (system, messages)
    }

    /// An assistant message: content, tool calls or both; a refusal stands in for content it lacks.
    private mutating func readAssistant(_ message: [String: JSONValue], at pointer: String) -> ModelMessage? {
        let errorsBefore = errors.count
        let toolCalls = readToolCalls(message["tool_calls"], at: JSONPointer.appending(pointer, "tool_calls"))
        let refusal = string(
            message["refusal"],
            at: JSONPointer.appending(pointer, "refusal"),
            name: "refusal",
            required: false
        )
        let contentPointer = JSONPointer.appending(pointer, "content")
        var text = ""
        if Self.present(message["content"]) != nil {
            text = content(message["content"], at: contentPointer, role: "assistant", required: true) ?? ""
        } else if let refusal {
            text = refusal
        } else if toolCalls.isEmpty && errors.count == errorsBefore {
            fail(contentPointer, .required, "An assistant message needs content unless it has tool_calls.")
        }
        guard errors.count == errorsBefore else { return nil }
        return ModelMessage(role: .assistant, content: text, toolCalls: toolCalls)
    }

    private mutating func readToolCalls(_ value: JSONValue?, at pointer: String) -> [ModelToolCall] {
        guard let items = array(value, at: pointer, name: "tool_calls", required: false) else { return [] }
        var calls: [ModelToolCall] = []
        for (index, item) in items.enumerated() {
            let callPointer = JSONPointer.appending(pointer, String(index))
            guard case .object(let call) = item else {
                fail(callPointer, .type, "Each tool call must be an object, not \(Self.article(item)).")
                continue
            }
            let id = nonEmptyString(
                call["id"],
                at: JSONPointer.appending(callPointer, "id"),
                name: "id",
                required: true
            )
            functionType(
                call["type"],
                at: JSONPointer.appending(callPointer, "type"),
                required: false,
                what: "tool calls"
            )
            let functionPointer = JSONPointer.appending(callPointer, "function")
            guard let function = object(call["function"], at: functionPointer, name: "function", required: true) else {
                continue
            }
            let name = nonEmptyString(
                function["name"],
                at: JSONPointer.appending(functionPointer, "name"),
                name: "name",
                required: true
            )
            let arguments = string(
                function["arguments"],
                at: JSONPointer.appending(functionPointer, "arguments"),
                name: "arguments",
                required: true
            )
            if let id, let name, let arguments {
                calls.append(ModelToolCall(id: id, name: name, arguments: arguments))
            }
        }
        return calls
    }

    /// A message's text: a string, or an array of text parts whose texts are joined as they are. Other parts (images,
    /// audio, files) are refused: the orchestrator's requests carry text only. An assistant may also send refusal
    /// parts, which it got in an earlier answer.
    private mutating func content(_ value: JSONValue?, at pointer: String, role: String, required: Bool) -> String? {
        guard let value = Self.present(value) else {
            if required { fail(pointer, .required, "A \(role) message needs content.") }
            return nil
        }
        switch value {
        case .string(let text):
            return text
        case .array(let parts):
            var text = ""
            var readable = true
            for (index, part) in parts.enumerated() {
                let partPointer = JSONPointer.appending(pointer, String(index))
                guard case .object(let fields) = part else {
                    fail(partPointer, .type, "Each content part must be an object, not \(Self.article(part)).")
                    readable = false
                    continue
                }
                let typePointer = JSONPointer.appending(partPointer, "type")
                guard let type = string(fields["type"], at: typePointer, name: "type", required: true) else {
                    readable = false
                    continue
                }
                let textMember = type == "refusal" && role == "assistant" ? "refusal" : "text"
                guard type == textMember else {
                    fail(
                        typePointer,
                        .unsupported,
                        "Content parts of type \(type.debugDescription) are not supported: only text parts are."
                    )
                    readable = false
                    continue
                }
                let partText = string(
                    fields[textMember],
                    at: JSONPointer.appending(partPointer, textMember),
                    name: textMember,
                    required: true
                )
                if let partText { text += partText } else { readable = false }
            }
            return readable ? text : nil
        default:
            fail(pointer, .type, "content must be a string or an array of content parts, not \(Self.article(value)).")
            return nil
        }
    }

    // MARK: - Options

    private mutating func readStop(_ value: JSONValue?) -> [String] {
        guard let value = Self.present(value) else { return [] }
        let items: [JSONValue]
        let pointers: [String]
        switch value {
        case .string:
            items = [value]
            pointers = ["/stop"]
        case .array(let list):
            guard list.count <= Self.maximumStopSequences else {
                fail(
                    "/stop",
                    .range,
                    "stop may list at most \(Self.maximumStopSequences) sequences, not \(list.count)."
                )
                return []
            }
            items = list
            pointers = list.indices.map { JSONPointer.appending("/stop", String($0)) }
        default:
            fail("/stop", .type, "stop must be a string or an array of strings, not \(Self.article(value)).")
            return []
        }
        var stop: [String] = []
        for (item, pointer) in zip(items, pointers) {
            guard let text = string(item, at: pointer, name: "A stop sequence", required: true) else { continue }
            if text.isEmpty {
                fail(pointer, .empty, "A stop sequence must not be empty.")
            } else {
                stop.append(text)
            }
        }
        return stop
    }

    /// `n`, the number of answers: one answer per call is all the orchestrator makes.
    private mutating func readN(_ value: JSONValue?) {
        guard let value = Self.present(value) else { return }
        guard case .number(let count) = value else {
            fail("/n", .type, "n must be an integer, not \(Self.article(value)).")
            return
        }
        if count != 1 { fail("/n", .unsupported, "Only n=1 is supported.") }
    }

    private mutating func readTools(_ value: JSONValue?) -> [ModelTool] {
        guard let items = array(value, at: "/tools", name: "tools", required: false) else { return [] }
        var tools: [ModelTool] = []
        for (index, item) in items.enumerated() {
            let pointer = JSONPointer.appending("/tools", String(index))
            guard case .object(let tool) = item else {
                fail(pointer, .type, "Each tool must be an object, not \(Self.article(item)).")
                continue
            }
            guard functionType(tool["type"], at: JSONPointer.appending(pointer, "type"), required: true, what: "tools")
            else { continue }
            let functionPointer = JSONPointer.appending(pointer, "function")
            guard let function = object(tool["function"], at: functionPointer, name: "function", required: true) else {
                continue
            }
            let name = nonEmptyString(
                function["name"],
                at: JSONPointer.appending(functionPointer, "name"),
                name: "name",
                required: true
            )
            let description = string(
                function["description"],
                at: JSONPointer.appending(functionPointer, "description"),
                name: "description",
                required: false
            )
            let parametersPointer = JSONPointer.appending(functionPointer, "parameters")
            let parameters = object(function["parameters"], at: parametersPointer, name: "parameters", required: false)
            if let name {
                tools.append(
                    ModelTool(
                        name: name,
                        description: description,
                        parameters: parameters.map(JSONValue.object) ?? Self.noParameters
                    )
                )
            }
        }
        return tools
    }

    /// Checks a tool's or tool call's `type`, which must be `function`: OpenAI's custom tools take free text, which
    /// providers other than OpenAI cannot call. Answers whether it is fine.
    @discardableResult
    private mutating func functionType(_ value: JSONValue?, at pointer: String, required: Bool, what: String) -> Bool {
        guard let type = string(value, at: pointer, name: "type", required: required) else {
            return !required && Self.present(value) == nil
        }
        guard type == "function" else {
            fail(pointer, .unsupported, "Only function \(what) are supported, not \(type.debugDescription).")
            return false
        }
        return true
    }

    /// The schema the answer must follow: none for `text`, any object for `json_object`, the given schema for
    /// `json_schema` (any object when it names none, as OpenAI allows).
    private mutating func readResponseFormat(_ value: JSONValue?) -> JSONValue? {
        guard let format = object(value, at: "/response_format", name: "response_format", required: false) else {
            return nil
        }
        let typePointer = "/response_format/type"
        guard let type = string(format["type"], at: typePointer, name: "type", required: true) else { return nil }
        switch type {
        case "text":
            return nil
        case "json_object":
            return .object(["type": .string("object")])
        case "json_schema":
            let pointer = "/response_format/json_schema"
            guard let definition = object(format["json_schema"], at: pointer, name: "json_schema", required: true)
            else {
                return nil
            }
            _ = nonEmptyString(definition["name"], at: pointer + "/name", name: "name", required: true)
            _ = string(definition["description"], at: pointer + "/description", name: "description", required: false)
            _ = bool(definition["strict"], at: pointer + "/strict", name: "strict")
            let schema = object(definition["schema"], at: pointer + "/schema", name: "schema", required: false)
            return schema.map(JSONValue.object) ?? .object(["type": .string("object")])
        default:
            fail(
                typePointer,
                .unsupported,
                "response_format type must be text, json_object or json_schema, not \(type.debugDescription)."
            )
            return nil
        }
    }

    /// Whether the stream should end with usage.
    private mutating func readStreamOptions(_ value: JSONValue?) -> Bool {
        guard let options = object(value, at: "/stream_options", name: "stream_options", required: false) else {
            return false
        }
        return bool(options["include_usage"], at: "/stream_options/include_usage", name: "include_usage") ?? false
    }

    // MARK: - Values

    private mutating func fail(_ pointer: String, _ code: Code, _ message: String) {
        errors.append(GatewayRequestError.FieldError(pointer: pointer, code: code, message: message))
    }

    /// `nil` for a missing member and for `null`.
    private static func present(_ value: JSONValue?) -> JSONValue? {
        if case .null? = value { nil } else { value }
    }

    /// "a string", "an object": the type of a value, for messages.
    private static func article(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .array, .object: "an \(value.typeName)"
        default: "a \(value.typeName)"
        }
    }

    private mutating func missing(_ pointer: String, name: String, required: Bool) {
        if required { fail(pointer, .required, "\(name) is required.") }
    }

    /// The member's value as `extract` reads it: `nil` when absent (an error if `required`), or of another type than
    /// `expected` says (an error).
    private mutating func typed<Value>(
        _ value: JSONValue?,
        at pointer: String,
        name: String,
        required: Bool,
        expected: String,
        _ extract: (JSONValue) -> Value?
    ) -> Value? {
        guard let value = Self.present(value) else {
            missing(pointer, name: name, required: required)
            return nil
        }
        guard let typed = extract(value) else {
            fail(pointer, .type, "\(name) must be \(expected), not \(Self.article(value)).")
            return nil
        }
        return typed
    }

    private mutating func string(_ value: JSONValue?, at pointer: String, name: String, required: Bool) -> String? {
        typed(value, at: pointer, name: name, required: required, expected: "a string") {
            if case .string(let text) = $0 { text } else { nil }
        }
    }

    /// A string with something in it besides white space; returned as given.
    private mutating func nonEmptyString(_ value: JSONValue?, at pointer: String, name: String, required: Bool)
        -> String?
    {
        guard let text = string(value, at: pointer, name: name, required: required) else { return nil }
        guard !text.trimmingWhitespace().isEmpty else {
            fail(pointer, .empty, "\(name) must not be empty.")
            return nil
        }
        return text
    }

    private mutating func bool(_ value: JSONValue?, at pointer: String, name: String) -> Bool? {
        typed(value, at: pointer, name: name, required: false, expected: "true or false") {
            if case .bool(let flag) = $0 { flag } else { nil }
        }
    }

    private mutating func number(_ value: JSONValue?, at pointer: String, name: String, range: ClosedRange<Double>)
        -> Double?
    {
        guard let number = typed(value, at: pointer, name: name, required: false, expected: "a number", {
            if case .number(let number) = $0 { number } else { nil }
        }) else { return nil }
        guard range.contains(number) else {
            fail(
                pointer,
                .range,
                "\(name) must be between \(Self.spoken(range.lowerBound)) and \(Self.spoken(range.upperBound))."
            )
            return nil
        }
        return number
    }

    /// A whole number of at least `minimum`; `1e15` and above are refused before they could overflow an `Int`.
    private mutating func integer(_ value: JSONValue?, at pointer: String, name: String, minimum: Int) -> Int? {
        guard let value = Self.present(value) else { return nil }
        guard case .number(let number) = value, number.isFinite, number.rounded() == number else {
            fail(pointer, .type, "\(name) must be an integer, not \(Self.article(value)).")
            return nil
        }
        guard number >= Double(minimum), number < 1e15 else {
            fail(pointer, .range, "\(name) must be an integer of at least \(minimum).")
            return nil
        }
        return Int(number)
    }

    private mutating func array(_ value: JSONValue?, at pointer: String, name: String, required: Bool) -> [JSONValue]? {
        typed(value, at: pointer, name: name, required: required, expected: "an array") {
            if case .array(let items) = $0 { items } else { nil }
        }
    }

    private mutating func object(_ value: JSONValue?, at pointer: String, name: String, required: Bool)
        -> [String: JSONValue]?
    {
        typed(value, at: pointer, name: name, required: required, expected: "an object") {
            if case .object(let fields) = $0 { fields } else { nil }
        }
    }

    /// `2` rather than `2.0`.
    private static func spoken(_ number: Double) -> String {
        number.rounded() == number && number.magnitude < 1e15 ? String(Int(number)) : String(number)
    }
}
