import Foundation

/// Where Redis is and how to talk to it.
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// Password for `AUTH`, if any.
    public var password: String?
    /// Database number for `SELECT`.
    public var database: Int
    /// Connect and command timeout, in milliseconds.
    public var timeoutMilliseconds: Int
    /// Most connections kept open; also the most commands in flight at once.
    public var maxConnections: Int

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        password: String? = nil,
        database: Int = 0,
        timeoutMilliseconds: Int = 2000,
        maxConnections: Int = 8
    ) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxConnections = maxConnections
    }

    /// Reads `redis://[:password@]host[:port][/db]`.
    /// - Throws: `RedisError.invalidURL` for anything else.
    public init(url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "redis",
            let host = components.host, !host.isEmpty
        else {
            throw RedisError(.invalidURL, "expected redis://[:password@]host[:port][/db]")
        }
        var database = 0
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !path.isEmpty {
            guard let number = Int(path), number >= 0 else { throw RedisError(.invalidURL, "database must be a number") }
            database = number
        }
        let password = components.password.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        self.init(host: host, port: components.port ?? 6379, password: password, database: database)
    }
}
