/// An experiment: new conversations of a flow are split between published versions by weight.
///
/// Assignment is a pure function of the experiment id and the conversation id, so every replica, and every retry
/// of the same start, puts a conversation in the same arm.
public struct Experiment: Sendable, Hashable, Codable {
    /// The experiment's id.
    public var id: String
    /// The versions and their weights, in a fixed order.
    public var arms: [Arm]

    /// A version and its share.
    public struct Arm: Sendable, Hashable, Codable {
        public var version: Int
        /// A positive weight; shares are weight over the sum of weights.
        public var weight: Int

        public init(version: Int, weight: Int) {
            self.version = version
            self.weight = weight
        }
    }

    /// Creates an experiment.
    public init(id: String, arms: [Arm]) {
        self.id = id
        self.arms = arms
    }

    /// The arm a conversation belongs to, or `nil` when no arm has a positive weight.
    public func arm(for conversationId: String) -> Arm? {
        let total = arms.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { return nil }
        // Multiply-shift maps the 64-bit hash onto 0..<total without modulo bias worth speaking of.
        let point = Int(Self.hash(id + "\u{1F}" + conversationId).multipliedFullWidth(by: UInt64(total)).high)
        var cumulative = 0
        for arm in arms where arm.weight > 0 {
            cumulative += arm.weight
            if point < cumulative { return arm }
        }
        return arms.last(where: { $0.weight > 0 })
    }

    /// FNV-1a over the UTF-8 bytes, then the SplitMix64 finalizer so that nearby ids spread evenly.
    static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        return hash ^ (hash >> 31)
    }
}

/// Where the interpreter finds flow versions: published versions by number, and which one is live.
public protocol FlowSource: Sendable {
    /// The definition of `flow` at `version`, or `nil` if there is none.
    func definition(of flow: String, version: Int) -> FlowDefinition?
    /// The version new conversations of `flow` start on, or `nil` if the flow has none.
    func liveVersion(of flow: String) -> Int?
}

/// A fixed set of flow versions in memory: what the simulator and tests use, and what a worker caches.
public struct FlowLibrary: FlowSource {
    private var versions: [String: [Int: FlowDefinition]] = [:]
    private var live: [String: Int] = [:]

    /// An empty library.
    public init() {}

    /// Adds a version; the highest version added is live unless ``setLive(_:version:)`` says otherwise.
    public mutating func add(_ definition: FlowDefinition, version: Int) {
        versions[definition.id, default: [:]][version] = definition
        if version > (live[definition.id] ?? Int.min) { live[definition.id] = version }
    }

    /// Makes `version` of `flow` the live one; `nil` leaves the flow with no live version, so a `link` to it fails.
    public mutating func setLive(_ flow: String, version: Int?) { live[flow] = version }

    /// The flows that have at least one version here.
    public var flows: [String] { Array(versions.keys) }

    public func definition(of flow: String, version: Int) -> FlowDefinition? { versions[flow]?[version] }
    public func liveVersion(of flow: String) -> Int? { live[flow] }
}
