import Crypto
import Foundation
import SecurityHub
import Testing

@Suite struct CredentialTests {
    @Test func apiKeyRoundTripsAndHashesWithThePepper() throws {
        let key = APIKeySecret.generate()
        #expect(key.prefix.hasPrefix("chk_") && key.prefix.count == 16)
        let parsed = try #require(APIKeySecret(key.value))
        #expect(parsed == key)
        let pepper = SymmetricKey(size: .bits256)
        let hash = key.hash(pepper: pepper)
        #expect(key.matches(hash, pepper: pepper))
        #expect(!key.matches(hash, pepper: SymmetricKey(size: .bits256)))
        #expect(!APIKeySecret.generate().matches(hash, pepper: pepper))
        #expect(!hash.contains(key.value))
    }

    @Test func malformedAPIKeysDoNotParse() {
        let valid = APIKeySecret.generate().value
        for text in ["", "chk_", "chk_abc_def", "xyz_" + valid.dropFirst(4), valid + "x", String(valid.dropLast()),
                     valid.replacingOccurrences(of: "chk_", with: "chk_O")]
        {
            #expect(APIKeySecret(text) == nil, "\(text) parsed")
        }
    }

    @Test func opaqueTokensCarryTheirTenantAndKind() throws {
        let tenant = UUID()
        let token = OpaqueToken.generate(.refresh, tenantID: tenant)
        let parsed = try #require(OpaqueToken(token.value, kind: .refresh))
        #expect(parsed.tenantID == tenant)
        #expect(parsed.hash == token.hash)
        #expect(OpaqueToken(token.value, kind: .invitation) == nil)
        #expect(OpaqueToken(token.value + "x", kind: .refresh) == nil)
        #expect(OpaqueToken("crt_zz_" + String(repeating: "a", count: 43), kind: .refresh) == nil)
    }

    @Test func rolesAreOrderedByWhatTheyMayDo() {
        #expect(Role.owner.permissions == Set(Permission.allCases))
        #expect(Role.admin.permissions.isStrictSubset(of: Role.owner.permissions))
        #expect(!Role.admin.permissions.contains(.membersOwners))
        for role in [Role.editor, .agent, .viewer] {
            #expect(!role.permissions.contains(.membersWrite))
            #expect(!role.permissions.contains(.apiKeysWrite))
            #expect(role.permissions.contains(.tenantRead))
        }
        #expect(Role.viewer.permissions.isSubset(of: Role.admin.permissions))
    }

    @Test func apiKeyPermissionsAreItsScopesWithinItsCreatorsCurrentRole() {
        let scopes = ["tenant:read", "members:write", "not-a-permission"]
        #expect(Principal.effectivePermissions(role: "admin", apiKeyScopes: scopes, isAPIKey: true)
            == [.tenantRead, .membersWrite])
        // The creator was demoted: the key loses what the new role lacks.
        #expect(Principal.effectivePermissions(role: "viewer", apiKeyScopes: scopes, isAPIKey: true) == [.tenantRead])
        // The creator is gone, or the key is revoked: nothing.
        #expect(Principal.effectivePermissions(role: nil, apiKeyScopes: scopes, isAPIKey: true).isEmpty)
        #expect(Principal.effectivePermissions(role: "owner", apiKeyScopes: nil, isAPIKey: true).isEmpty)
        #expect(Principal.effectivePermissions(role: "editor", apiKeyScopes: nil, isAPIKey: false) == Role.editor.permissions)
    }

    @Test func passwordPolicyExplainsWhatIsWrong() {
        #expect(PasswordPolicy.problem(with: "short", email: nil) != nil)
        #expect(PasswordPolicy.problem(with: "aaaaaaaaaaaaaaaa", email: nil) != nil)
        #expect(PasswordPolicy.problem(with: "me@example.com", email: "ME@example.com") != nil)
        #expect(PasswordPolicy.problem(with: String(repeating: "é", count: 40), email: nil) != nil)
        #expect(PasswordPolicy.problem(with: "correct horse battery", email: nil) == nil)
    }

    @Test func passwordHashingVerifiesOnlyTheRightPassword() async throws {
        let hasher = PasswordHasher(cost: 4)
        let hash = try await hasher.hash("correct horse battery")
        #expect(try await hasher.verify("correct horse battery", hash: hash))
        #expect(try await !hasher.verify("wrong horse battery", hash: hash))
        #expect(try await !hasher.verify("correct horse battery", hash: nil))
    }
}

@Suite struct Base64URLTests {
    @Test func roundTripsEveryLengthWithoutPaddingOrStandardCharacters() throws {
        for count in 0..<70 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(try #require(Base64URL.decode(text)) == Data(bytes))
        }
        #expect(Base64URL.encode([0xfb, 0xff, 0xbf]) == "-_-_")
    }

    @Test(arguments: ["a", "ab=", "ab+c", "ab/c", "a b", "abcde", "é"])
    func refusesWhatIsNotBase64URL(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
