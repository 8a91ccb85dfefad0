import Crypto
import Foundation
import SecurityHub
import Testing

@Suite struct AuditChainTests {
    let tenant = UUID()

    func chain(_ count: Int) -> [AuditChain.Link] {
        var links: [AuditChain.Link] = []
        var previous = AuditChain.genesis
        for seq in 1...Int64(count) {
            let record = AuditRecord(
                seq: seq, tenantID: tenant, occurredAtMicros: 1_700_000_000_000_000 + seq, actorType: "member",
                actorID: "m1", action: "member.invited", resourceType: "member", resourceID: "r\(seq)",
                requestID: "req-\(seq)", clientAddress: "127.0.0.1", summary: #"{"role":"viewer"}"#
            )
            let hash = AuditChain.hash(previous: previous, record: record)
            links.append(AuditChain.Link(record: record, previous: previous, hash: hash))
            previous = hash
        }
        return links
    }

    @Test func anIntactChainVerifies() {
        #expect(AuditChain.verify(chain(5)) == nil)
        #expect(AuditChain.verify([]) == nil)
    }

    @Test func everyKindOfTamperingIsFoundAtTheRightEntry() {
        var edited = chain(5)
        edited[2].record.summary = #"{"role":"owner"}"#
        #expect(AuditChain.verify(edited) == AuditChain.Break(seq: 3, reason: "hash-mismatch"))

        var deleted = chain(5)
        deleted.remove(at: 1)
        #expect(AuditChain.verify(deleted) == AuditChain.Break(seq: 2, reason: "missing"))

        // Rewriting an entry and its hash still breaks the next entry's link.
        var rewritten = chain(5)
        rewritten[1].record.actorID = "someone-else"
        rewritten[1].hash = AuditChain.hash(previous: rewritten[1].previous, record: rewritten[1].record)
        #expect(AuditChain.verify(rewritten) == AuditChain.Break(seq: 3, reason: "previous-mismatch"))

        var moved = chain(3)
        moved[1].record.tenantID = UUID()
        #expect(AuditChain.verify(moved) == AuditChain.Break(seq: 2, reason: "hash-mismatch"))
    }

    @Test func absentAndEmptyFieldsHashDifferently() {
        var a = chain(1)[0].record
        a.resourceID = nil
        var b = a
        b.resourceID = ""
        #expect(AuditChain.hash(previous: AuditChain.genesis, record: a) != AuditChain.hash(previous: AuditChain.genesis, record: b))
    }

    @Test func checkpointsAreSignedAndTamperEvident() throws {
        let signer = AuditSigner(key: Curve25519.Signing.PrivateKey())
        let head = chain(3).last!
        let checkpoint = try signer.checkpoint(tenantID: tenant, seq: head.record.seq, hash: head.hash)
        #expect(AuditSigner.isValid(checkpoint))
        #expect(checkpoint.keyId == signer.keyID)
        var truncated = checkpoint
        truncated.seq = 2
        #expect(!AuditSigner.isValid(truncated))
        var otherKey = try AuditSigner(key: Curve25519.Signing.PrivateKey()).checkpoint(tenantID: tenant, seq: 3, hash: head.hash)
        otherKey.publicKey = checkpoint.publicKey
        #expect(!AuditSigner.isValid(otherKey))
    }
}
