import Foundation
public import PostgresNIO

/// A PostgreSQL address as `postgres://user:password@host:port/database`.
public struct DatabaseURL: Sendable, Equatable {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// Role to log in as.
    public var username: String
    /// Password, if any.
    public var password: String?
    /// Database name.
    public var database: String
    /// A folder holding PostgreSQL's Unix socket (`?host=/run/postgresql`, as libpq spells it); when set, the
    /// connection uses the socket instead of TCP.
    public var socketDirectory: String?

    /// The socket file for `socketDirectory` and `port`.
    public var socketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }

    /// Parses a `postgres://` or `postgresql://` URL.
    /// - Throws: `StorageError.configuration` when a part is missing or malformed.
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let user = components.user, !user.isEmpty
        else {
            throw StorageError(.configuration, "expected postgres://user:password@host:port/database")
        }
        let database = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard !database.isEmpty else { throw StorageError(.configuration, "the database URL names no database") }
        let socket = components.queryItems?.first { $0.name == "host" }?.value.flatMap { $0.hasPrefix("/") ? $0 : nil }
        guard let host = components.host.flatMap({ $0.isEmpty ? nil : $0 }) ?? socket.map({ _ in "localhost" }) else {
            throw StorageError(.configuration, "the database URL names no host")
        }
        self.socketDirectory = socket
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
    }
}

extension DatabaseURL {
    /// Settings for a single connection (the migrator, tools): the Unix socket when the URL names one, else TCP.
    public var connectionConfiguration: PostgresConnection.Configuration {
        if let socket = socketPath {
            return PostgresConnection.Configuration(
                unixSocketPath: socket, username: username, password: password, database: database
            )
        }
        return PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: .disable
        )
    }
}
