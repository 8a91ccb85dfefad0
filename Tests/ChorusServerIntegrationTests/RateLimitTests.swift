import Foundation
import HTTPTypes
import Hiredis
import Logging
import SecurityHub
import Testing

@testable import ChorusServer

@Suite struct RateLimitTests {
    /// The harness's limits under a key prefix of this test's own, with `change` applied.
    static func settings(_ change: (inout RateLimitSettings) -> Void = { _ in }) -> RateLimitSettings {
        var settings = Harness.generousLimits
        settings.keyPrefix = "chorus-test:\(UUID().uuidString.prefix(8)):"
        change(&settings)
        return settings
    }

    /// Creates a key with its own limit.
    static func limitedKey(_ api: API, _ tenant: TenantFixture, _ requests: Int, per: String) async throws -> String {
        let created = try await api.call(
            .post, "/api/v2/api-keys", as: tenant.owner,
            json: ["name": "limited", "scopes": ["tenant:read"], "rateLimit": ["requests": requests, "per": per] as [String: any Sendable]]
        )
        try #require(created.status == 201, "create key: \(created.text)")
        let key = try #require(created.json["apiKey"] as? [String: Any])
        let limit = key["rateLimit"] as? [String: Any]
        #expect(limit?["requests"] as? Int == requests && limit?["per"] as? String == per)
        return try #require(created.string("key"))
    }

    /// Sends `count` requests at once with `key`.
    static func burst(_ api: API, key: String, count: Int) async throws -> (responses: [APIResponse], elapsed: Double) {
        let start = Date()
        let responses = try await withThrowingTaskGroup(of: APIResponse.self) { group in
            for _ in 0..<count {
                group.addTask { try await api.call(.get, "/api/v2/tenant", as: .apiKeyHeader(key)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        return (responses, Date().timeIntervalSince(start))
    }

    @Test func fiftyConcurrentRequestsForAKeyLimitedToTenPerSecond() async throws {
        try await Harness.withAPI(try Harness.configuration(rateLimits: Self.settings())) { api in
            let tenant = try await api.createTenant("rl")
            let key = try await Self.limitedKey(api, tenant, 10, per: "second")
            let (responses, elapsed) = try await Self.burst(api, key: key, count: 50)
            let passed = responses.filter { $0.status == 200 }
            #expect(responses.allSatisfy { $0.status == 200 || $0.status == 429 })
            // Ten at once, and one more for each 100 ms the burst lasted: what GCRA allows, no more.
            let allowed = 10 + Int(elapsed / 0.1)
            #expect(passed.count >= 10 && passed.count <= allowed, "\(passed.count) passed in \(elapsed) s")
            for response in passed {
                #expect(response.headers[.rateLimitLimit] == "10")
                #expect(response.headers[.rateLimitRemaining].flatMap(Int.init) != nil)
                #expect(response.headers[.rateLimitReset].flatMap(Int.init) != nil)
            }
            for response in responses where response.status == 429 {
                #expect(response.problemCode == "rate-limited")
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.headers[.retryAfter] == "1")
                #expect(response.headers[.rateLimitRemaining] == "0")
                #expect(response.headers[.rateLimitLimit] == "10")
            }
        }
    }

    @Test func exactlyTheAllowedNumberPassWhenNothingRefillsDuringTheBurst() async throws {
        try await Harness.withAPI(try Harness.configuration(rateLimits: Self.settings())) { api in
            let tenant = try await api.createTenant("rl")
            let key = try await Self.limitedKey(api, tenant, 10, per: "minute")
            let (responses, _) = try await Self.burst(api, key: key, count: 50)
            #expect(responses.filter { $0.status == 200 }.count == 10)
            #expect(responses.filter { $0.status == 429 }.count == 40)
            let retry = responses.first { $0.status == 429 }?.headers[.retryAfter].flatMap(Int.init) ?? 0
            #expect((1...6).contains(retry))
            // Every admitted request used exactly one unit.
            let remaining = responses.compactMap { $0.status == 200 ? $0.headers[.rateLimitRemaining] : nil }
            #expect(Set(remaining) == Set((0..<10).map(String.init)))
        }
    }

    @Test func planLimitsApplyPerTenantAndMember() async throws {
        let settings = Self.settings { settings in
            let fast = RateLimit(requests: 100_000, per: 1)
            settings.plans["standard"] = .init(tenant: RateLimit(requests: 4, per: 60), member: fast, apiKey: fast)
        }
        try await Harness.withAPI(try Harness.configuration(rateLimits: settings)) { api in
            let tenant = try await api.createTenant("rl")
            var statuses: [Int] = []
            for _ in 0..<6 { statuses.append(try await api.call(.get, "/api/v2/tenant", as: tenant.owner).status) }
            #expect(statuses == [200, 200, 200, 200, 429, 429])
            // Another tenant on the same plan has its own bucket.
            let other = try await api.createTenant("rl")
            let answer = try await api.call(.get, "/api/v2/tenant", as: other.owner)
            #expect(answer.status == 200 && answer.headers[.rateLimitLimit] == "4" && answer.headers[.rateLimitRemaining] == "3")
        }
    }

    @Test func failedLoginsLockTheAccountWithGrowingLockouts() async throws {
        let settings = Self.settings { settings in
            settings.loginLockout = LockoutPolicy(threshold: 3, windowSeconds: 60, baseLockSeconds: 1, maxLockSeconds: 60)
        }
        try await Harness.withAPI(try Harness.configuration(rateLimits: settings)) { api in
            let tenant = try await api.createTenant("rl")
            func attempt(_ password: String) async throws -> APIResponse {
                try await api.call(.post, "/api/v2/auth/login",
                                   json: ["tenant": tenant.slug, "email": tenant.ownerEmail, "password": password])
            }
            for _ in 0..<3 { #expect(try await attempt("wrong-password").status == 401) }
            // Locked: even the right password is refused until the lockout ends.
            let locked = try await attempt(tenant.password)
            #expect(locked.status == 429 && locked.problemCode == "login-locked")
            #expect(locked.headers[.retryAfter] == "1")
            try await Task.sleep(for: .milliseconds(1100))
            // The second lockout is twice as long.
            for _ in 0..<3 { #expect(try await attempt("wrong-password").status == 401) }
            #expect(try await attempt(tenant.password).headers[.retryAfter] == "2")
            try await Task.sleep(for: .milliseconds(2100))
            #expect(try await attempt(tenant.password).status == 200)
            // A success forgot the failures and the doubling.
            for _ in 0..<3 { #expect(try await attempt("wrong-password").status == 401) }
            #expect(try await attempt(tenant.password).headers[.retryAfter] == "1")
        }
    }

    @Test func loginAttemptsAreLimitedPerClientAddress() async throws {
        let settings = Self.settings { $0.loginPerAddress = RateLimit(requests: 3, per: 60) }
        try await Harness.withAPI(try Harness.configuration(rateLimits: settings)) { api in
            var statuses: [Int] = []
            for index in 0..<5 {
                let response = try await api.call(.post, "/api/v2/auth/login",
                                                  json: ["tenant": "nobody-\(index)", "email": "a@b.example", "password": "x"])
                statuses.append(response.status)
                if response.status == 429 {
                    #expect(response.problemCode == "rate-limited" && response.headers[.retryAfter] != nil)
                }
            }
            #expect(statuses == [401, 401, 401, 429, 429])
        }
    }

    @Test func forwardedAddressesAreBelievedOnlyFromTrustedProxies() throws {
        let trusted = [try #require(IPNetwork("10.0.0.0/8")), try #require(IPNetwork("::1"))]
        // The right-most address that is not a trusted proxy; the client-written left part is not believed.
        #expect(ClientAddress.resolve(peer: "10.1.2.3", forwardedFor: "6.6.6.6, 203.0.113.5, 10.9.9.9", trusted: trusted)
            == "203.0.113.5")
        #expect(ClientAddress.resolve(peer: "::1", forwardedFor: "2001:db8::7", trusted: trusted) == "2001:db8::7")
        #expect(ClientAddress.resolve(peer: "::ffff:10.0.0.1", forwardedFor: "198.51.100.2", trusted: trusted) == "198.51.100.2")
        // An untrusted peer, or no trusted proxies at all: the header is ignored.
        #expect(ClientAddress.resolve(peer: "198.51.100.9", forwardedFor: "203.0.113.5", trusted: trusted) == "198.51.100.9")
        #expect(ClientAddress.resolve(peer: "10.1.2.3", forwardedFor: "203.0.113.5", trusted: []) == "10.1.2.3")
        // Garbage in the header stops the walk at the last good hop.
        #expect(ClientAddress.resolve(peer: "10.1.2.3", forwardedFor: "203.0.113.5, not-an-ip", trusted: trusted) == "10.1.2.3")
        #expect(IPNetwork("10.0.0.0/33") == nil && IPNetwork("example.com") == nil && IPNetwork("fd00::/8") != nil)
    }

    @Test func loginLimitsCountTheForwardedClientBehindATrustedProxy() async throws {
        var configuration = try Harness.configuration(
            rateLimits: Self.settings { $0.loginPerAddress = RateLimit(requests: 2, per: 60) }
        )
        configuration.trustedProxies = [try #require(IPNetwork("127.0.0.0/8"))]
        try await Harness.withAPI(configuration) { api in
            func attempt(from address: String) async throws -> Int {
                try await api.call(.post, "/api/v2/auth/login",
                                   json: ["tenant": "nobody", "email": "a@b.example", "password": "x"],
                                   headers: [HTTPField.Name("X-Forwarded-For")!: address]).status
            }
            var statuses: [Int] = []
            for _ in 0..<3 { statuses.append(try await attempt(from: "203.0.113.1")) }
            // Another client behind the same proxy has its own allowance.
            statuses.append(try await attempt(from: "203.0.113.2"))
            #expect(statuses == [401, 401, 429, 401])
        }
    }

    @Test func withRedisStoppedRequestsAreServedWithinTheFallbackLimits() async throws {
        let redis = try PrivateRedis()
        defer { redis.stop() }
        var configuration = try Harness.configuration(rateLimits: Self.settings())
        configuration.redis.port = redis.port
        configuration.redis.timeoutMilliseconds = 300
        // That the fallback is logged once a minute is checked in RateLimiterTests.
        try await Harness.withAPI(configuration) { api in
            let tenant = try await api.createTenant("rl")
            let key = try await Self.limitedKey(api, tenant, 5, per: "minute")
            for remaining in ["4", "3"] {
                let response = try await api.call(.get, "/api/v2/tenant", as: .apiKeyHeader(key))
                #expect(response.status == 200 && response.headers[.rateLimitRemaining] == remaining)
            }
            redis.stop()
            var statuses: [Int] = []
            for _ in 0..<10 { statuses.append(try await api.call(.get, "/api/v2/tenant", as: .apiKeyHeader(key)).status) }
            // This process now limits alone, from a fresh bucket: five pass, the rest are refused, none fails.
            #expect(statuses == Array(repeating: 200, count: 5) + Array(repeating: 429, count: 5))
            let login = try await api.call(.post, "/api/v2/auth/login",
                                           json: ["tenant": tenant.slug, "email": tenant.ownerEmail, "password": tenant.password])
            #expect(login.status == 200)
        }
    }
}

/// A Redis server of the test's own, which it can stop.
final class PrivateRedis: Sendable {
    let port: Int
    private let process: Process

    init() throws {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
            .split(separator: ":").map { "\($0)/redis-server" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        let executable = try #require(path, "redis-server is not on PATH")
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = Int.random(in: 20_000..<60_000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                lastError = error
                continue
            }
            for _ in 0..<50 {
                if Self.answers(port) {
                    self.port = port
                    self.process = process
                    return
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            process.terminate()
        }
        throw lastError ?? RedisError(.connection, "could not start redis-server")
    }

    private static func answers(_ port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Stops the server and waits until its port refuses connections (polling: `waitUntilExit` spins here).
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<100 where Self.answers(port) { Thread.sleep(forTimeInterval: 0.02) }
    }
}
