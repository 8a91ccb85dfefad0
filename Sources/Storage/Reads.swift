public import Foundation
public import PostgresNIO

/// The reads GET routes run together with entering the tenant (see `TenantRead`).
public enum Reads {
    static let tenantColumns = "tenant_id, slug, name, plan, status, created_at, updated_at"
    static let memberColumns =
        "member_id, email, display_name, role, status, invited_by, invite_expires_at, created_at, updated_at, last_login_at"
    static let apiKeyColumns =
        """
        key_id, prefix, name, scopes, created_by, created_at, expires_at, last_used_at, revoked_at, \
        rate_limit_requests, rate_limit_period
        """

    /// The tenant itself.
    public struct Tenant: TenantRead {
        public static let name = "tenant"
        public static let sql = "SELECT \(tenantColumns) FROM tenants"
        public init() {}
        public static func decode(_ row: PostgresRandomAccessRow, from i: Int) throws -> TenantRecord {
            TenantRecord(
                (try row.value(i), try row.value(i + 1), try row.value(i + 2), try row.value(i + 3),
                 try row.value(i + 4), try row.value(i + 5), try row.value(i + 6))
            )
        }
    }

    /// Every member, by email.
    public struct Members: TenantRead {
        public static let name = "members"
        public static let sql = "SELECT \(memberColumns) FROM members"
        public static let order = "r.email"
        public init() {}
        public static func decode(_ row: PostgresRandomAccessRow, from i: Int) throws -> MemberRecord {
            try Reads.member(row, from: i)
        }
    }

    /// One member.
    public struct Member: TenantRead {
        public static let name = "member"
        public static let sql = "SELECT \(memberColumns) FROM members WHERE member_id = $4"
        public static let bindingDataTypes: [PostgresDataType] = [.uuid]
        public var id: UUID
        public init(id: UUID) { self.id = id }
        public func appendBindings(to bindings: inout PostgresBindings) { bindings.append(id) }
        public static func decode(_ row: PostgresRandomAccessRow, from i: Int) throws -> MemberRecord {
            try Reads.member(row, from: i)
        }
    }

    /// Every API key, newest first.
    public struct APIKeys: TenantRead {
        public static let name = "api_keys"
        public static let sql = "SELECT \(apiKeyColumns) FROM api_keys"
        public static let order = "r.created_at DESC, r.key_id"
        public init() {}
        public static func decode(_ row: PostgresRandomAccessRow, from i: Int) throws -> APIKeyRecord {
            try Reads.apiKey(row, from: i)
        }
    }

    /// One API key.
    public struct APIKey: TenantRead {
        public static let name = "api_key"
        public static let sql = "SELECT \(apiKeyColumns) FROM api_keys WHERE key_id = $4"
        public static let bindingDataTypes: [PostgresDataType] = [.uuid]
        public var id: UUID
        public init(id: UUID) { self.id = id }
        public func appendBindings(to bindings: inout PostgresBindings) { bindings.append(id) }
        public static func decode(_ row: PostgresRandomAccessRow, from i: Int) throws -> APIKeyRecord {
            try Reads.apiKey(row, from: i)
        }
    }

    static func member(_ row: PostgresRandomAccessRow, from i: Int) throws -> MemberRecord {
        MemberRecord(
            (try row.value(i), try row.value(i + 1), try row.value(i + 2), try row.value(i + 3), try row.value(i + 4),
             try row.value(i + 5), try row.value(i + 6), try row.value(i + 7), try row.value(i + 8),
             try row.value(i + 9))
        )
    }

    static func apiKey(_ row: PostgresRandomAccessRow, from i: Int) throws -> APIKeyRecord {
        APIKeyRecord(
            (try row.value(i), try row.value(i + 1), try row.value(i + 2), try row.value(i + 3), try row.value(i + 4),
             try row.value(i + 5), try row.value(i + 6), try row.value(i + 7), try row.value(i + 8),
             try row.value(i + 9), try row.value(i + 10))
        )
    }
}
