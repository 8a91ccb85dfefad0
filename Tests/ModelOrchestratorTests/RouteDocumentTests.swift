import ChorusCore
import Foundation
import Testing

@testable import ModelOrchestrator

@Suite struct RouteDocumentTests {
    static let providers = ["openai-main": "openai", "claude": "anthropic"]

    /// The route and the pointers of its problems.
    static func read(_ json: String) -> (route: ModelRoute?, problems: Set<String>) {
        do {
            let reader = try BodyReader(data: Data(json.utf8))
            let route = RouteDocument.read(reader, name: "support", providers: providers)
            try reader.finish()
            return (route, [])
        } catch let problem as Problem {
            return (nil, Set((problem.errors ?? []).map(\.pointer)))
        } catch {
            return (nil, ["(not json)"])
        }
    }

    static func problems(_ json: String) -> Set<String> { read(json).problems }

    @Test func aFullRouteReadsIntoItsChains() throws {
        let route = try #require(Self.read(#"""
            {"description": "Support\nanswers", "policy": "lowest-latency", "exploration": 0.2,
             "targets": [{"id": "mini", "provider": "openai-main", "model": "gpt-4o-mini", "weight": 3,
                          "temperature": 0.1, "maxTokens": 200,
                          "timeouts": {"connectSeconds": 1.5, "firstTokenSeconds": 8, "totalSeconds": 30}},
                         {"id": "haiku", "provider": "claude", "model": "claude-3-5-haiku-latest"}],
             "contextWindowFallbacks": [{"id": "haiku", "provider": "claude", "model": "claude-3-5-haiku-latest"}],
             "contentPolicyFallbacks": [{"id": "local", "provider": "local"}],
             "downgradeTargets": [{"id": "nano", "provider": "openai-main", "model": "gpt-4.1-nano"}],
             "retry": {"attemptsPerTarget": 3, "baseDelaySeconds": 0.1, "maxDelaySeconds": 2},
             "quality": {"rejectRefusal": true, "maxLength": 500, "onFailure": "retry"},
             "cache": {"ttlSeconds": 60}, "lastResort": "Sorry.\nTry later."}
            """#).route)
        #expect(route.policy == .lowestLatency(exploration: 0.2))
        #expect(route.targets.map(\.id) == ["mini", "haiku"])
        let mini = route.targets[0]
        #expect(mini.provider == "openai" && mini.account == "openai-main" && mini.weight == 3)
        #expect(mini.timeouts == ModelTimeouts(connect: .milliseconds(1500), firstToken: .seconds(8), total: .seconds(30)))
        #expect(mini.applyingDefaults(to: ModelRequest(messages: [.user("x")])).maxTokens == 200)
        #expect(mini.applyingDefaults(to: ModelRequest(messages: [.user("x")], temperature: 0.9)).temperature == 0.9)
        #expect(route.contextWindowChain.map(\.id) == ["haiku"] && route.contentPolicyChain.first?.provider == "local")
        #expect(route.contentPolicyChain.first?.account == nil)
        #expect(route.retry == RouteRetry(attemptsPerTarget: 3, baseDelay: 0.1, maxDelay: 2))
        #expect(route.quality.rejectRefusal && route.quality.maxLength == 500 && route.quality.action == .retry)
        #expect(route.cache == CacheSettings(ttl: 60) && route.lastResort == "Sorry.\nTry later.")
        #expect(route.allTargets.map(\.id) == ["mini", "haiku", "local", "nano"])
        let downgraded = route.downgraded()
        #expect(downgraded.targets.map(\.id) == ["nano"] && downgraded.policy == .lowestCost)
        #expect(downgraded.contextWindowChain.isEmpty && downgraded.lastResort == route.lastResort)
    }

    @Test func everyProblemComesBackWithItsPointer() {
        #expect(Self.problems(#"{"policy": "fastest", "targets": []}"#) == (["/policy", "/targets"]))
        #expect(Self.problems(#"{"targets": [{"id": "a", "provider": "nobody", "model": "m"}]}"#) == (["/targets/0/provider"]))
        #expect(Self.problems(#"{"targets": [{"id": "Bad Id", "provider": "claude", "model": "m"}]}"#) == (["/targets/0/id"]))
        #expect(Self.problems(#"{"targets": [{"id": "a", "provider": "claude"}], "color": "red"}"#) == (["/targets/0/model", "/color"]))
        #expect(Self.problems(#"""
            {"targets": [{"id": "a", "provider": "claude", "model": "m1"}],
             "contextWindowFallbacks": [{"id": "a", "provider": "claude", "model": "m2"}]}
            """#) == (["/contextWindowFallbacks/0/id"]))
        #expect(Self.problems(#"{"policy": "preference", "preference": ["a", "zz"], "targets": [{"id": "a", "provider": "local"}]}"#)
                == (["/preference/1"]))
        #expect(Self.problems(#"{"policy": "preference", "targets": [{"id": "a", "provider": "local"}]}"#) == (["/preference"]))
        #expect(Self.problems(#"""
            {"targets": [{"id": "a", "provider": "local", "timeouts": {"connectSeconds": 60}}],
             "retry": {"attemptsPerTarget": 0}, "quality": {"onFailure": "panic"}, "cache": {}}
            """#) == (["/targets/0/timeouts/connectSeconds", "/retry/attemptsPerTarget", "/quality/onFailure", "/cache/ttlSeconds"]))
        #expect(Self.problems(#"{"targets": [{"id": "a", "provider": "local"}], "lastResort": "bell\u0007"}"#) == (["/lastResort"]))
    }

    @Test func accountsAreFoundEvenInDocumentsThatNoLongerRead() throws {
        let document = try JSONValue.parse(Data(#"""
            {"targets": [{"provider": "a"}, {"provider": "local"}], "downgradeTargets": [{"provider": "b"}], "x": 1}
            """#.utf8))
        #expect(RouteDocument.accounts(in: document) == ["a", "local", "b"])
        #expect(RouteDocument.isValidName("gpt-4.1-mini") && !RouteDocument.isValidName("-x") && !RouteDocument.isValidName(""))
    }

    @Test func tenantPricesOverrideTheBuiltInOnes() throws {
        let builtIn = try #require(PriceTable.builtIn.price(provider: "openai", model: "gpt-4o-mini"))
        #expect(builtIn == ModelPrice(input: 150_000, output: 600_000, cachedInput: 75_000))
        let table = PriceTable.builtIn.overridden(by: [PriceTable.key(provider: "openai", model: "gpt-4o-mini"): ModelPrice(input: 1, output: 2)])
        #expect(table.price(provider: "openai", model: "gpt-4o-mini") == ModelPrice(input: 1, output: 2))
        #expect(table.price(provider: "openai", model: "gpt-4o") == PriceTable.builtIn.price(provider: "openai", model: "gpt-4o"))
        #expect(table.price(provider: "azure-openai", model: "my-deployment") == nil)
        var route = ModelRoute(name: "r", targets: [RouteTarget(id: "m", provider: "openai", model: "gpt-4o-mini")])
        route.targets = route.targets.map { target in
            var target = target
            target.price = table.price(provider: target.provider, model: target.model)
            return target
        }
        // 1,000 input and 500 output tokens at 1 and 2 µ$ per million: 0.001 + 0.001 µ$, rounded to 0.
        #expect(route.targets[0].price?.cost(of: ModelUsage(inputTokens: 1_000, outputTokens: 500)) == 0)
        // A million of each at the built-in price: 0.15 + 0.60 dollars.
        #expect(builtIn.cost(of: ModelUsage(inputTokens: 1_000_000, outputTokens: 1_000_000)) == 750_000)
    }
}
