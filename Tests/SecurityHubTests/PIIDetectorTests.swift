import Crypto
import Foundation
import SecurityHub
import Testing

@Suite struct PIIDetectorTests {
    let detector = PIIDetector()

    /// The texts of the matches of one entity.
    func found(_ entity: PIIEntity, in text: String) -> [String] {
        let bytes = Array(text.utf8)
        return detector.detect(text).filter { $0.entity == entity }.map { String(decoding: bytes[$0.range], as: UTF8.self) }
    }

    @Test func emails() {
        #expect(found(.email, in: "Write to Ann.Lee+news@mail.example.co.uk, thanks.") == ["Ann.Lee+news@mail.example.co.uk"])
        #expect(found(.email, in: "a@b.io and c_d@e-f.org") == ["a@b.io", "c_d@e-f.org"])
        // Inside URLs, not an address of anyone.
        #expect(found(.email, in: "see https://user:pass@example.com/path and http://site.com/@handle").isEmpty)
        #expect(found(.email, in: "not@an address, @handle, foo@bar, x@y.z").isEmpty)
    }

    @Test func paymentCardsNeedLuhn() {
        #expect(found(.creditCard, in: "card 4111 1111 1111 1111 exp 12/29") == ["4111 1111 1111 1111"])
        #expect(found(.creditCard, in: "5500-0000-0000-0004") == ["5500-0000-0000-0004"])
        #expect(found(.creditCard, in: "amex 378282246310005") == ["378282246310005"])
        // Same shape, bad checksum: not a card.
        #expect(found(.creditCard, in: "card 4111 1111 1111 1112").isEmpty)
        #expect(found(.creditCard, in: "order 1234567890123456").isEmpty)
    }

    @Test func phonesButNotOrderNumbers() {
        #expect(found(.phone, in: "call me on +44 20 7946 0958 tomorrow") == ["+44 20 7946 0958"])
        #expect(found(.phone, in: "my number is (415) 555-2671") == ["(415) 555-2671"])
        #expect(found(.phone, in: "415-555-2671 or 415.555.2671") == ["415-555-2671", "415.555.2671"])
        #expect(found(.phone, in: "+14155552671") == ["+14155552671"])
        #expect(found(.phone, in: "ring 020 7946 0958") == ["020 7946 0958"])
        #expect(found(.phone, in: "your order 415-555-2671 has shipped").isEmpty)
        #expect(found(.phone, in: "invoice #4155552671").isEmpty)
        #expect(found(.phone, in: "on 2024-01-15 at 10:30, room 1234").isEmpty)
        #expect(found(.phone, in: "call +1 415 555 2671 about order 123456").count == 1)
    }

    @Test func ibansNeedMod97() {
        #expect(found(.iban, in: "IBAN DE89 3704 0044 0532 0130 00 please") == ["DE89 3704 0044 0532 0130 00"])
        #expect(found(.iban, in: "GB82WEST12345698765432") == ["GB82WEST12345698765432"])
        #expect(found(.iban, in: "DE89 3704 0044 0532 0130 01").isEmpty)
    }

    @Test func ipAddresses() {
        #expect(found(.ipAddress, in: "from 192.168.1.20 and 10.0.0.1.") == ["192.168.1.20", "10.0.0.1"])
        #expect(found(.ipAddress, in: "v6 2001:db8:85a3::8a2e:370:7334 and ::1") == ["2001:db8:85a3::8a2e:370:7334"])
        #expect(found(.ipAddress, in: "2001:0db8:0000:0000:0000:ff00:0042:8329") == ["2001:0db8:0000:0000:0000:ff00:0042:8329"])
        #expect(found(.ipAddress, in: "999.1.1.1, 1.2.3, 10:30:00, version 1.2.3.4.5").isEmpty)
    }

    @Test func usSocialSecurityNumbers() {
        #expect(found(.usSSN, in: "ssn 536-22-8726") == ["536-22-8726"])
        #expect(found(.usSSN, in: "my social security number is 536228726") == ["536228726"])
        #expect(found(.usSSN, in: "000-12-3456 666-12-3456 912-12-3456 536-00-8726 536-22-0000").isEmpty)
        #expect(found(.usSSN, in: "part 536228726").isEmpty)
    }

    @Test func datesOfBirthNeedContext() {
        #expect(found(.dateOfBirth, in: "I was born on 12 March 1985.") == ["12 March 1985"])
        #expect(found(.dateOfBirth, in: "DOB: 1985-03-12") == ["1985-03-12"])
        #expect(found(.dateOfBirth, in: "date of birth 03/12/1985") == ["03/12/1985"])
        #expect(found(.dateOfBirth, in: "birthday: March 12th, 1985") == ["March 12th, 1985"])
        #expect(found(.dateOfBirth, in: "the meeting is on 12 March 2026").isEmpty)
        #expect(found(.dateOfBirth, in: "born 1985-13-45").isEmpty)
    }

    @Test func overlapsKeepTheBestMatch() {
        let matches = detector.detect("pay with 4111111111111111 now")
        #expect(matches.map(\.entity) == [.creditCard])
    }

    @Test func unicodeTextKeepsByteOffsets() {
        let text = "Grüße — schreib an jürgen@example.de 🙂"
        #expect(found(.email, in: text) == ["jürgen@example.de"])
        #expect(PIIMasker(tenantKey: SymmetricKey(size: .bits256)).mask(text) == "Grüße — schreib an [EMAIL] 🙂")
    }
}

@Suite struct PIIMaskerTests {
    let text = "Mail ann@example.com or call +44 20 7946 0958, card 4111 1111 1111 1111."

    @Test func redactsByDefault() {
        let masker = PIIMasker(tenantKey: SymmetricKey(size: .bits256))
        #expect(masker.mask(text) == "Mail [EMAIL] or call [PHONE], card [CREDIT_CARD].")
    }

    @Test func partialKeepsTheLastDigits() {
        let masker = PIIMasker(tenantKey: SymmetricKey(size: .bits256), policy: [.creditCard: .partial(keep: 4)])
        #expect(masker.mask("card 4111 1111 1111 1111") == "card ****1111")
    }

    @Test func keyedHashIsStableWithinATenantAndDiffersAcross() {
        let a = PIIMasker(tenantKey: SymmetricKey(size: .bits256), policy: [.email: .keyedHash])
        let b = PIIMasker(tenantKey: SymmetricKey(size: .bits256), policy: [.email: .keyedHash])
        let first = a.mask("ann@example.com")
        #expect(first.hasPrefix("[EMAIL:") && !first.contains("ann"))
        #expect(a.mask("ann@example.com") == first)
        #expect(a.mask("bob@example.com") != first)
        #expect(b.mask("ann@example.com") != first)
    }

    @Test func reversibleEncryptionRoundTripsOnlyWithTheTenantKey() {
        let key = SymmetricKey(size: .bits256)
        let policy: [PIIEntity: MaskOperator] = [.email: .encrypt, .phone: .encrypt, .creditCard: .encrypt]
        let masker = PIIMasker(tenantKey: key, policy: policy)
        let masked = masker.mask(text)
        #expect(!masked.contains("ann@example.com") && !masked.contains("7946"))
        #expect(masker.unmask(masked) == text)
        // As a model would echo it, inside its own reply.
        #expect(masker.unmask("Sure, I will write to \(masked.split(separator: " ")[1]) today.") == "Sure, I will write to ann@example.com today.")
        let stranger = PIIMasker(tenantKey: SymmetricKey(size: .bits256), policy: policy)
        #expect(stranger.unmask(masked) == masked)
        #expect(masker.unmask("[EMAIL#not-a-token] and [brackets]") == "[EMAIL#not-a-token] and [brackets]")
    }
}
