import Foundation
import Hiredis
import Testing

@Suite struct RedisClientTests {
    func client() throws -> RedisClient {
        RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.value("CHORUS_TEST_REDIS_URL")))
    }

    @Test func commandsRoundTripIncludingBinaryValues() async throws {
        let redis = try client()
        #expect(await redis.ping())
        let key = "test:\(UUID())"
        let value: [UInt8] = [0, 1, 2, 255, 10, 13]
        #expect(try await redis.send(bytes: [Array("SET".utf8), Array(key.utf8), value]) == .status("OK"))
        #expect(try await redis.send(["GET", key]) == .string(value))
        #expect(try await redis.send(["DEL", key]) == .integer(1))
        #expect(try await redis.send(["GET", key]) == .null)
        if case .error = try await redis.send(["NOT-A-COMMAND"]) {} else { Issue.record("expected an error reply") }
        try await redis.shutdown()
    }

    @Test func concurrentCommandsShareThePool() async throws {
        let redis = try client()
        let key = "test:counter:\(UUID())"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { _ = try await redis.send(["INCR", key]) } }
            try await group.waitForAll()
        }
        #expect(try await redis.send(["GET", key]).text == "200")
        try await redis.shutdown()
    }

    @Test func idleConnectionsClosedByRedisAreReplaced() async throws {
        let redis = try client()
        // One command at a time, so the pool holds exactly one idle connection: this one.
        guard case .integer(let id) = try await redis.send(["CLIENT", "ID"]) else {
            Issue.record("CLIENT ID did not answer an integer")
            return
        }
        let admin = try client()
        // Close it from outside, as a Redis restart or `timeout` would.
        #expect(try await admin.send(["CLIENT", "KILL", "ID", String(id)]) == .integer(1))
        #expect(try await redis.send(["PING"]) == .status("PONG"))
        #expect(try await redis.send(["CLIENT", "ID"]) != .integer(id))
        try await redis.shutdown()
        try await admin.shutdown()
    }

    @Test func unreachableRedisIsAnErrorNotAHang() async throws {
        let redis = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: 1, timeoutMilliseconds: 500))
        await #expect(throws: RedisError.self) { try await redis.send(["PING"]) }
        #expect(await !redis.ping())
        try await redis.shutdown()
    }

    @Test func urlsAreParsed() throws {
        let configuration = try RedisConfiguration(url: "redis://:s%40cret@10.0.0.5:6380/3")
        #expect(configuration.host == "10.0.0.5" && configuration.port == 6380)
        #expect(configuration.password == "s@cret" && configuration.database == 3)
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "http://x") }
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "redis://host/notanumber") }
    }
}
