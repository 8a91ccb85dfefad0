public import Foundation
import Logging
public import PostgresNIO

/// A read of a tenant's rows that runs in the very statement that enters the tenant, so a GET of a small
/// resource costs one round trip instead of four (BEGIN, enter, read, COMMIT).
///
/// The statement is `enter_tenant(…) e LEFT JOIN LATERAL (<read> WHERE e.tenant_status IS NOT NULL) r ON true`.
/// The join condition is not an equality, so PostgreSQL can only run it as a nested loop, and a left join's
/// nested loop always has the preserved side, `e`, outside: `e` is produced first, and `enter_tenant` (a
/// PL/pgSQL set-returning function, run to completion on its first call) has executed
/// `set_config('app.tenant_id', …, true)` before the read's first row is scanned. The setting ends with the
/// statement's implicit transaction. Should the order ever differ, the read's RLS policy would see no tenant and
/// return no rows: it fails closed, never open.
public protocol TenantRead: Sendable {
    /// What one row decodes to.
    associatedtype Row: Sendable
    /// A unique name for the prepared statement.
    static var name: String { get }
    /// A SELECT over tenant tables whose first column is never NULL. Its parameters are numbered from `$4`.
    static var sql: String { get }
    /// The order of the rows, in terms of the read's own column names.
    static var order: String { get }
    /// Types of `$4`, `$5`, ….
    static var bindingDataTypes: [PostgresDataType] { get }
    /// Appends the values of `$4`, `$5`, ….
    func appendBindings(to bindings: inout PostgresBindings)
    /// Decodes one row from its columns starting at `offset`.
    static func decode(_ row: PostgresRandomAccessRow, from offset: Int) throws -> Row
}

extension TenantRead {
    public static var order: String { "1" }
    public static var bindingDataTypes: [PostgresDataType] { [] }
    public func appendBindings(to bindings: inout PostgresBindings) {}
}

extension PostgresRandomAccessRow {
    /// The value of column `index`.
    public func value<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        try self[index].decode(T.self)
    }
}

/// `enter_tenant` and a `TenantRead` in one prepared statement.
struct EnterAndRead<Read: TenantRead>: PostgresPreparedStatement {
    typealias Row = (TenantEntry, Read.Row?)

    static var name: String { "chorus.read.\(Read.name)" }
    static var sql: String {
        """
        SELECT \(Statements.EnterTenant.columns.map { "e." + $0 }.joined(separator: ", ")), r.*
          FROM enter_tenant($1, $2, $3) AS e
          LEFT JOIN LATERAL (SELECT q.* FROM (\(Read.sql)) AS q WHERE e.tenant_status IS NOT NULL) AS r ON true
         ORDER BY \(Read.order)
        """
    }
    static var bindingDataTypes: [PostgresDataType] {
        Statements.EnterTenant.bindingDataTypes + Read.bindingDataTypes
    }

    var enter: Statements.EnterTenant
    var read: Read

    func makeBindings() throws -> PostgresBindings {
        var bindings = try enter.makeBindings()
        read.appendBindings(to: &bindings)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        let entry = try TenantEntry(cells, from: 0)
        let first = Statements.EnterTenant.columns.count
        // LEFT JOIN: a read with no rows still yields the entry, with NULL in the read's first column.
        guard cells[first].bytes != nil else { return (entry, nil) }
        return (entry, try Read.decode(cells, from: first))
    }
}

extension Database {
    /// Enters the tenant and runs `read` in one statement.
    /// - Returns: what the credential grants now, and the rows.
    /// - Throws: `StorageError.tenantNotFound` when the tenant does not exist.
    public func read<Read: TenantRead>(
        _ tenantID: UUID,
        principal: TenantEntry.Principal,
        _ read: Read
    ) async throws -> (entry: TenantEntry, rows: [Read.Row]) {
        let (member, key) = principal.ids
        let statement = EnterAndRead(enter: .init(tenant: tenantID, member: member, apiKey: key), read: read)
        return try await client.withConnection { connection in
            var entry: TenantEntry?
            var rows: [Read.Row] = []
            for try await (rowEntry, row) in try await connection.execute(statement, logger: logger) {
                entry = rowEntry
                if let row { rows.append(row) }
            }
            guard let entry else { throw StorageError(.tenantNotFound, "tenant \(tenantID) does not exist") }
            return (entry, rows)
        }
    }
}
