import Foundation
import PostgresNIO

/// The statements every tenant transaction runs, prepared once per connection so that PostgreSQL parses and plans
/// them once rather than on every request.
enum Statements {
    struct Begin: PostgresPreparedStatement {
        typealias Row = ()
        static let name = "chorus.begin"
        static let sql = "BEGIN"
        static let bindingDataTypes: [PostgresDataType] = []
        func makeBindings() throws -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }

    struct Commit: PostgresPreparedStatement {
        typealias Row = ()
        static let name = "chorus.commit"
        static let sql = "COMMIT"
        static let bindingDataTypes: [PostgresDataType] = []
        func makeBindings() throws -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }

    struct EnterTenant: PostgresPreparedStatement {
        typealias Row = TenantEntry
        /// The columns of `enter_tenant`, in the order `TenantEntry(_:from:)` reads them.
        static let columns = [
            "tenant_status", "tenant_plan", "member_id", "member_role", "api_key_scopes", "api_key_hash",
            "api_key_last_used", "api_key_rate_limit", "api_key_rate_period",
        ]
        static let name = "chorus.enter_tenant"
        static let sql = "SELECT \(columns.joined(separator: ", ")) FROM enter_tenant($1, $2, $3)"
        static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid, .uuid]

        var tenant: UUID
        var member: UUID?
        var apiKey: UUID?

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(tenant)
            bindings.append(member)
            bindings.append(apiKey)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try TenantEntry(row.makeRandomAccess(), from: 0) }
    }
}
