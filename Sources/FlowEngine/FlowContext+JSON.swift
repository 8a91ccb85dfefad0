public import Foundation

extension FlowContext {
    /// Why stored context JSON could not be read.
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The context as compact JSON with sorted keys: byte-identical for equal contexts, and the same JSON the
    /// `Codable` conformance reads. Written by hand because contexts are stored on every turn, and Foundation's
    /// encoder costs ten times as much.
    public func encoded() throws -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out += #"{"channel":"#.utf8
        FlowValue.writeObject(channel, to: &out)
        out += #","contact":"#.utf8
        FlowValue.writeObject(contact, to: &out)
        out += #","conversationId":"#.utf8
        FlowValue.writeString(conversationId, to: &out)
        if let ended {
            out += #","ended":"#.utf8
            FlowValue.writeString(ended, to: &out)
        }
        if let experiment {
            out += #","experiment":{"experiment":"#.utf8
            FlowValue.writeString(experiment.experiment, to: &out)
            out += #","version":"#.utf8
            out += String(experiment.version).utf8
            out.append(UInt8(ascii: "}"))
        }
        out += #","frames":["#.utf8
        for (index, frame) in frames.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += #"{"attempts":"#.utf8
            out += String(frame.attempts).utf8
            out += #","flow":"#.utf8
            FlowValue.writeString(frame.flow, to: &out)
            out += #","state":"#.utf8
            FlowValue.writeString(frame.state, to: &out)
            out += #","vars":"#.utf8
            FlowValue.writeObject(frame.vars, to: &out)
            out += #","version":"#.utf8
            out += String(frame.version).utf8
            out.append(UInt8(ascii: "}"))
        }
        out += #"],"sequence":"#.utf8
        out += String(sequence).utf8
        if let waiting {
            out += #","waiting":{"kind":""#.utf8
            out += waiting.kind.rawValue.utf8
            out.append(UInt8(ascii: "\""))
            if let request = waiting.request {
                out += #","request":"#.utf8
                FlowValue.writeString(request, to: &out)
            }
            if let timer = waiting.timer {
                out += #","timer":"#.utf8
                FlowValue.writeString(timer, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        return Data(out)
    }

    /// Reads a context written by ``encoded()`` (or by its `Codable` conformance).
    /// - Throws: ``Unreadable`` naming what is wrong.
    public static func decoded(from data: Data) throws(Unreadable) -> FlowContext {
        var context = FlowContext(conversationId: "")
        do {
            try JSONNodeParser.withParser(over: data) { (parser: inout JSONNodeParser) throws(JSONSyntaxError) in
                try parser.members { (key: String, parser: inout JSONNodeParser) throws(JSONSyntaxError) in
                    switch key {
                    case "frames":
                        try parser.elements { (parser: inout JSONNodeParser) throws(JSONSyntaxError) in
                            var frame = Frame(flow: "", version: 0, state: "", vars: [:])
                            try parser.members { (name: String, parser: inout JSONNodeParser) throws(JSONSyntaxError) in
                                let value = try parser.flowValue()
                                switch name {
                                case "flow": frame.flow = value.stringValue ?? ""
                                case "version": frame.version = value.intValue ?? 0
                                case "state": frame.state = value.stringValue ?? ""
                                case "vars": frame.vars = value.objectValue ?? [:]
                                case "attempts": frame.attempts = value.intValue ?? 0
                                default: break
                                }
                            }
                            context.frames.append(frame)
                        }
                    default:
                        let value = try parser.flowValue()
                        switch key {
                        case "conversationId": context.conversationId = value.stringValue ?? ""
                        case "channel": context.channel = value.objectValue ?? [:]
                        case "contact": context.contact = value.objectValue ?? [:]
                        case "ended": context.ended = value.stringValue
                        case "sequence": context.sequence = value.intValue ?? 0
                        case "experiment":
                            if let members = value.objectValue, let experiment = members["experiment"]?.stringValue,
                                let version = members["version"]?.intValue
                            {
                                context.experiment = ExperimentAssignment(experiment: experiment, version: version)
                            }
                        case "waiting":
                            if let members = value.objectValue, let kind = members["kind"]?.stringValue.flatMap(Waiting.Kind.init) {
                                context.waiting = Waiting(kind: kind, request: members["request"]?.stringValue, timer: members["timer"]?.stringValue)
                            }
                        default: break
                        }
                    }
                }
                try parser.end()
            }
        } catch {
            throw Unreadable(description: "not a stored context: \(error.message) at line \(error.line), column \(error.column)")
        }
        guard !context.conversationId.isEmpty else { throw Unreadable(description: "the context has no `conversationId`") }
        return context
    }
}

extension FlowValue {
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var intValue: Int? {
        if case .number(let value) = self, value.rounded() == value, abs(value) < 1e15 { return Int(value) }
        return nil
    }
}
