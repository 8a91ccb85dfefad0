import Crypto
import Foundation
import SecurityHub
import Testing

@Suite struct SecretEnvelopeTests {
    let tenant = UUID()
    let key = SymmetricKey(size: .bits256)
    var context: SecretContext { SecretContext(tenantID: tenant, table: "channels", column: "access_token", row: "c1") }

    @Test func sealedSecretsOpenOnlyWhereTheyBelong() throws {
        let sealed = try SecretEnvelope.seal("EAAG-secret-token-1234", context: context, dataKey: key, dataKeyVersion: 3)
        #expect(sealed.hasPrefix("cs1.3."))
        #expect(!sealed.contains("secret-token"))
        #expect(try SecretEnvelope.open(sealed, context: context, dataKey: key) == "EAAG-secret-token-1234")
        #expect(try SecretEnvelope.dataKeyVersion(of: sealed) == 3)
        // Same plaintext, fresh nonce: never the same ciphertext twice.
        #expect(try SecretEnvelope.seal("EAAG-secret-token-1234", context: context, dataKey: key, dataKeyVersion: 3) != sealed)

        var elsewhere = [context, context, context, context]
        elsewhere[0].row = "c2"
        elsewhere[1].column = "app_secret"
        elsewhere[2].table = "integrations"
        elsewhere[3].tenantID = UUID()
        for other in elsewhere {
            #expect(throws: SecretError.self) { try SecretEnvelope.open(sealed, context: other, dataKey: key) }
        }
        #expect(throws: SecretError.self) {
            try SecretEnvelope.open(sealed, context: context, dataKey: SymmetricKey(size: .bits256))
        }
    }

    @Test func tamperedCiphertextIsRejected() throws {
        let sealed = try SecretEnvelope.seal("provider-key-abcdef", context: context, dataKey: key, dataKeyVersion: 1)
        var bytes = Array(sealed)
        let index = bytes.count - 10
        bytes[index] = bytes[index] == "A" ? "B" : "A"
        for tampered in [String(bytes), String(sealed.dropLast()), "cs1.1.", "cs2" + sealed.dropFirst(3), "garbage"] {
            #expect(throws: SecretError.self) { try SecretEnvelope.open(tampered, context: context, dataKey: key) }
        }
    }

    @Test func dataKeysWrapPerTenantAndVersion() throws {
        let v1 = SymmetricKey(size: .bits256)
        let ring = try MasterKeyRing(keys: [1: v1])
        let wrapped = try ring.wrap(key, tenantID: tenant, dataKeyVersion: 1)
        #expect(wrapped.masterVersion == 1)
        let unwrapped = try ring.unwrap(wrapped.wrapped, masterVersion: 1, tenantID: tenant, dataKeyVersion: 1)
        #expect(unwrapped == key)
        // A wrapped key copied to another tenant or version does not unwrap.
        #expect(throws: SecretError.self) { try ring.unwrap(wrapped.wrapped, masterVersion: 1, tenantID: UUID(), dataKeyVersion: 1) }
        #expect(throws: SecretError.self) { try ring.unwrap(wrapped.wrapped, masterVersion: 1, tenantID: tenant, dataKeyVersion: 2) }
        #expect(throws: SecretError.self) { try ring.unwrap(wrapped.wrapped, masterVersion: 2, tenantID: tenant, dataKeyVersion: 1) }

        // A new master version wraps new keys; the old one still unwraps what it wrapped.
        let rotated = try MasterKeyRing(keys: [1: v1, 2: SymmetricKey(size: .bits256)])
        #expect(rotated.activeVersion == 2)
        #expect(try rotated.unwrap(wrapped.wrapped, masterVersion: 1, tenantID: tenant, dataKeyVersion: 1) == key)
        #expect(try rotated.wrap(key, tenantID: tenant, dataKeyVersion: 1).masterVersion == 2)
        #expect(throws: SecretError.self) { try MasterKeyRing(keys: [:]) }
        #expect(throws: SecretError.self) { try MasterKeyRing(keys: [1: SymmetricKey(size: .bits128)]) }
    }

    @Test func hintsShowAtMostTheLastFour() {
        #expect(SecretEnvelope.hint("sk-live-0123456789abcd") == "abcd")
        #expect(SecretEnvelope.hint("short") == nil)
    }
}
