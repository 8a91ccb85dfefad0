/// The recognizers. Each scans the bytes once and appends what it finds; `PIIDetector.resolve` settles overlaps.
enum Scanners {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    // MARK: Character classes

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
    @inline(__always) static func isUpper(_ c: UInt8) -> Bool { c &- 0x41 < 26 }
    @inline(__always) static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20) &- 0x61 < 6 }
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { isUpper(c) ? c | 0x20 : c }

    /// Whether one of `words` (lower-case ASCII) occurs in the `window` bytes before `start`.
    static func context(_ b: Bytes, before start: Int, window: Int, _ words: [[UInt8]]) -> Bool {
        context(b, in: max(0, start - window)..<start, words)
    }

    /// Whether one of `words` (lower-case ASCII) occurs in the `window` bytes from `end` on.
    static func context(_ b: Bytes, after end: Int, window: Int, _ words: [[UInt8]]) -> Bool {
        context(b, in: end..<min(b.count, end + window), words)
    }

    /// Whether one of `words` occurs within `span`, starting at a word boundary: "reid" does not contain "id".
    @inline(__always)
    static func context(_ b: Bytes, in span: Range<Int>, _ words: [[UInt8]]) -> Bool {
        for word in words where word.count <= span.count {
            var i = span.lowerBound
            while i + word.count <= span.upperBound {
                if i > 0 && isAlpha(b[i - 1]) && isAlpha(word[0]) {
                    i += 1
                    continue
                }
                var j = 0
                while j < word.count && lower(b[i + j]) == word[j] { j += 1 }
                if j == word.count { return true }
                i += 1
            }
        }
        return false
    }

    static func words(_ list: [String]) -> [[UInt8]] { list.map { Array($0.utf8) } }

    // MARK: Email

    /// Local-part bytes, UTF-8 included: internationalised addresses (RFC 6531) are masked whole, never in part.
    static func isLocal(_ c: UInt8) -> Bool {
        isAlnum(c) || c == 0x2E || c == 0x5F || c == 0x25 || c == 0x2B || c == 0x2D || c >= 0x80
    }

    static func emails(_ b: Bytes, into found: inout [PIIMatch]) {
        var i = 0
        while i < b.count {
            defer { i += 1 }
            guard b[i] == 0x40 else { continue }
            var l = i
            while l > 0 && isLocal(b[l - 1]) { l -= 1 }
            while l < i && b[l] == 0x2E { l += 1 }
            guard l < i, b[i - 1] != 0x2E else { continue }
            var r = i + 1
            var dots = 0
            var lastDot = -1
            while r < b.count && (isAlnum(b[r]) || b[r] == 0x2D || (b[r] == 0x2E && r + 1 < b.count && isAlnum(b[r + 1]))) {
                if b[r] == 0x2E {
                    if lastDot == r - 1 { break }
                    dots += 1
                    lastDot = r
                }
                r += 1
            }
            guard dots > 0, r - lastDot > 2, (lastDot + 1..<r).allSatisfy({ isAlpha(b[$0]) }) else { continue }
            // An address inside a URL ("https://user@host/…", "http://site.com/@name") is part of the URL.
            var token = l
            while token > 0 && !isSpace(b[token - 1]) { token -= 1 }
            var inURL = false
            if l - token >= 3 {
                for k in token..<(l - 2) where b[k] == 0x3A && b[k + 1] == 0x2F && b[k + 2] == 0x2F { inURL = true }
            }
            if inURL || (l > 0 && b[l - 1] == 0x2F) { continue }
            found.append(PIIMatch(entity: .email, range: l..<r, score: 0.95))
            i = r - 1
        }
    }

    // MARK: Numbers: cards, phones, SSNs

    static let notPhoneWords = words(["order", "invoice", "ticket", "ref", "tracking", "account", "acct", "#", "no.",
                                      "number:", "id", "reference", "booking", "confirmation"])
    static let ssnWords = words(["ssn", "social"])
    static let phoneWords = words(["phone", "call", "tel", "mobile", "cell", "whatsapp", "text me", "reach me", "fax",
                                   "ring", "numéro", "numero", "número", "nummer", "contact"])

    /// One run of digit groups with single separators between them.
    struct DigitRun {
        var start = 0
        var end = 0
        var digits: [UInt8] = []
        var groups: [Int] = []
        var separators: [UInt8] = []
        var plus = false
        var parenthesised = false
        /// Where a phone extension (`x123`, ` ext. 123`) after the run ends, if there is one.
        var extensionEnd: Int?
    }

    /// The end of a phone extension starting at `j` (`x123`, ` x123`, ` ext 123`, ` ext. 123`), if there is one.
    static func extensionEnd(_ b: Bytes, at j: Int) -> Int? {
        var k = j
        if k < b.count && b[k] == 0x20 { k += 1 }
        if k < b.count && (b[k] | 0x20) == 0x78 {
            k += 1
        } else if k + 3 <= b.count && lower(b[k]) == 0x65 && lower(b[k + 1]) == 0x78 && lower(b[k + 2]) == 0x74 {
            k += 3
            if k < b.count && b[k] == 0x2E { k += 1 }
            if k < b.count && b[k] == 0x20 { k += 1 }
        } else {
            return nil
        }
        let digits = k
        while k < b.count && isDigit(b[k]) && k - digits < 7 { k += 1 }
        guard k > digits, k - digits <= 6, k == b.count || !isAlnum(b[k]) else { return nil }
        return k
    }

    static func digitRuns(_ b: Bytes, entities: Set<PIIEntity>, into found: inout [PIIMatch]) {
        var i = 0
        while i < b.count {
            let c = b[i]
            let startsRun = isDigit(c) || ((c == 0x2B || c == 0x28) && i + 1 < b.count && isDigit(b[i + 1]))
            guard startsRun, i == 0 || !(isAlnum(b[i - 1]) || b[i - 1] == 0x2E || b[i - 1] == 0x2F || b[i - 1] == 0x2D)
            else {
                i += 1
                continue
            }
            var run = DigitRun(start: i)
            var j = i
            if b[j] == 0x2B { run.plus = true; j += 1 }
            if j < b.count && b[j] == 0x28 { run.parenthesised = true; j += 1 }
            var group = 0
            while j < b.count {
                if isDigit(b[j]) {
                    run.digits.append(b[j])
                    group += 1
                    j += 1
                    continue
                }
                // A separator counts only between digits: ' ', '-', '.', or ') '.
                var k = j
                if b[k] == 0x29 { k += 1; if k < b.count && (b[k] == 0x20 || b[k] == 0x2D) { k += 1 } }
                else if b[k] == 0x20 || b[k] == 0x2D || b[k] == 0x2E { k += 1 }
                if k < b.count && b[k] == 0x28 { k += 1 }
                guard k > j, k < b.count, isDigit(b[k]), group > 0 else { break }
                run.groups.append(group)
                run.separators.append(b[j])
                group = 0
                j = k
            }
            run.groups.append(group)
            run.end = j
            run.extensionEnd = extensionEnd(b, at: j)
            // A run glued to letters or more digits is an identifier, not a number of ours.
            if run.extensionEnd == nil && j < b.count && (isAlpha(b[j]) || b[j] == 0x40) {
                i = j
                continue
            }
            classify(run, b, entities: entities, into: &found)
            i = max(run.extensionEnd ?? j, i + 1)
        }
    }

    static func classify(_ run: DigitRun, _ b: Bytes, entities: Set<PIIEntity>, into found: inout [PIIMatch]) {
        let count = run.digits.count
        let range = run.start..<run.end
        if entities.contains(.creditCard), (12...19).contains(count), !run.plus, !run.parenthesised,
            plausibleIIN(run.digits), Set(run.separators).count <= 1, luhn(run.digits)
        {
            found.append(PIIMatch(entity: .creditCard, range: range, score: 0.95))
            return
        }
        if entities.contains(.usSSN), count == 9, !run.plus, !run.parenthesised {
            let dashed = run.groups == [3, 2, 4] && Set(run.separators).count == 1
                && (run.separators[0] == 0x2D || run.separators[0] == 0x20)
            let bare = run.groups == [9]
                && (context(b, before: run.start, window: 30, ssnWords) || context(b, after: run.end, window: 20, ssnWords))
            if (dashed || bare) && validSSN(run.digits) {
                found.append(PIIMatch(entity: .usSSN, range: range, score: dashed ? 0.85 : 0.6))
                return
            }
        }
        // No phone format has fewer than six digits; most digit runs (times, versions, short ids) stop here,
        // before any context is read.
        guard entities.contains(.phone), count >= 6 else { return }
        if context(b, before: run.start, window: 24, notPhoneWords)
            && !context(b, before: run.start, window: 24, phoneWords)
        {
            return
        }
        let phone = run.start..<(run.extensionEnd ?? run.end)
        let bonus = run.extensionEnd == nil ? 0 : 0.05
        if run.plus {
            // E.164: a country code and up to 15 digits.
            if (8...15).contains(count) && run.digits[0] != 0x30 {
                found.append(PIIMatch(entity: .phone, range: phone, score: 0.85 + bonus))
            }
            return
        }
        let formatted = run.groups.count > 1 || run.parenthesised
        let dotted = run.separators.contains(0x2E)
        let validNANP = count == 10 && run.digits[0] >= 0x32 && run.digits[3] >= 0x32
        let nanp = count == 10 && (run.groups == [3, 3, 4] || run.groups == [10]) && (formatted || validNANP)
            && !(dotted && run.groups.count != 3)
        let nanpWithOne = count == 11 && run.digits[0] == 0x31 && (run.groups == [1, 3, 3, 4] || run.groups == [11])
        // An international call prefix: "001-541-387-4743", "0044 20 7946 0958".
        let international = (10...17).contains(count) && run.groups.count > 1 && run.digits[0] == 0x30
            && run.digits[1] == 0x30 && run.digits[2] != 0x30
        let trunk = (10...11).contains(count) && run.digits[0] == 0x30 && run.digits[1] != 0x30
            && run.groups.allSatisfy { $0 >= 2 }
        if nanp || nanpWithOne || international {
            found.append(PIIMatch(entity: .phone, range: phone, score: (formatted ? 0.75 : 0.5) + bonus))
        } else if trunk {
            found.append(PIIMatch(entity: .phone, range: phone, score: (formatted ? 0.65 : 0.5) + bonus))
        } else if formatted && groupedLikePhone(run) {
            found.append(PIIMatch(entity: .phone, range: phone, score: 0.45 + bonus))
        } else if (7...15).contains(count) && context(b, before: run.start, window: 24, phoneWords) {
            found.append(PIIMatch(entity: .phone, range: phone, score: 0.5 + bonus))
        }
    }

    /// National formats in groups ("30-62-58-39", "(82) 871-235", "21 211 419 2931", "8932-2921"), but not dates,
    /// year ranges or thousands ("1 000 000").
    static func groupedLikePhone(_ run: DigitRun) -> Bool {
        let count = run.digits.count
        guard (6...13).contains(count), run.groups.count <= 5 else { return false }
        let first = run.groups[0]
        guard (run.parenthesised ? 1...5 : 2...4).contains(first), run.groups.dropFirst().allSatisfy({ (2...4).contains($0) })
        else { return false }
        func value(_ group: Int) -> Int {
            let start = run.groups[..<group].reduce(0, +)
            return run.digits[start..<(start + run.groups[group])].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        if run.groups.count == 2 && !run.parenthesised {
            // Two groups only with a dash or a dot ("8932-2921", "0758.2877"): spaced pairs are far more often
            // street numbers ("4503 1678 Andell Road") and dotted short ones prices ("1350.07").
            guard !run.separators.contains(0x20), run.groups.allSatisfy({ $0 >= 3 }), count >= 7 else { return false }
        }
        // Dotted short runs are versions ("18.22.10"); a leading year is a date, a time stamp or a build number.
        if run.separators.contains(0x2E) && count < 8 { return false }
        if first == 4 && !run.parenthesised && (1900...2099).contains(value(0)) { return false }
        // Dates: 2024-01-05, 05.01.2024, 12/05/90.
        if run.groups.count == 3, Set(run.separators).count == 1, !run.parenthesised {
            let (a, m, c) = (value(0), value(1), value(2))
            if run.groups[0] == 4 && (1...12).contains(m) && (1...31).contains(c) { return false }
            if run.groups[0] == 2 && (1...31).contains(a) && (1...31).contains(m) && (run.groups[2] == 4 || run.groups[2] == 2)
                && ((1...12).contains(a) || (1...12).contains(m))
            {
                return false
            }
        }
        // Thousands: every group after the first has three digits and the groups end in zeros.
        if run.groups.dropFirst().allSatisfy({ $0 == 3 }) && value(run.groups.count - 1) == 0 { return false }
        return true
    }

    /// Whether a card number's first digits belong to a card scheme: 2 to 6 (Mastercard, Visa, Amex, Discover,
    /// UnionPay, Maestro, JCB), JCB's 1800 and 2131, and Maestro UK's 0604. Twelve digits only for Maestro.
    static func plausibleIIN(_ d: [UInt8]) -> Bool {
        let prefix2 = Int(d[0] - 0x30) * 10 + Int(d[1] - 0x30)
        let prefix4 = prefix2 * 100 + Int(d[2] - 0x30) * 10 + Int(d[3] - 0x30)
        let maestro = prefix2 == 50 || (56...69).contains(prefix2) || prefix4 == 604
        if d.count == 12 { return maestro }
        return (0x32...0x36).contains(d[0]) || maestro || prefix4 == 1800 || prefix4 == 2131
    }

    static func luhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (index, digit) in digits.reversed().enumerated() {
            var value = Int(digit - 0x30)
            if index % 2 == 1 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return sum % 10 == 0
    }

    static func validSSN(_ d: [UInt8]) -> Bool {
        let value = d.map { Int($0 - 0x30) }
        let area = value[0] * 100 + value[1] * 10 + value[2]
        let group = value[3] * 10 + value[4]
        let serial = value[5] * 1000 + value[6] * 100 + value[7] * 10 + value[8]
        guard area != 0, area != 666, area < 900, group != 0, serial != 0 else { return false }
        // Well-known fakes that appear in documentation and tests.
        return !(area == 123 && group == 45 && serial == 6789) && !(area == 78 && group == 5 && serial == 1120)
    }

    // MARK: IBAN

    static func ibans(_ b: Bytes, into found: inout [PIIMatch]) {
        var i = 0
        while i + 4 < b.count {
            guard isUpper(b[i]), isUpper(b[i + 1]), isDigit(b[i + 2]), isDigit(b[i + 3]),
                i == 0 || !isAlnum(b[i - 1])
            else {
                i += 1
                continue
            }
            // Collect alphanumerics, allowing single spaces between groups; remember where each group ends.
            var chars: [UInt8] = []
            var ends: [(chars: Int, byte: Int)] = []
            var j = i
            while j < b.count && chars.count < 34 {
                if isAlnum(b[j]) {
                    chars.append(isAlpha(b[j]) ? b[j] & ~0x20 : b[j])
                    j += 1
                    if j == b.count || !isAlnum(b[j]) { ends.append((chars.count, j)) }
                } else if b[j] == 0x20 && j + 1 < b.count && isAlnum(b[j + 1]) && !chars.isEmpty {
                    j += 1
                } else {
                    break
                }
            }
            // The longest prefix, at a group boundary, that passes mod 97.
            var matched = false
            for end in ends.reversed() where end.chars >= 15 {
                if mod97(Array(chars[0..<end.chars])) == 1 {
                    found.append(PIIMatch(entity: .iban, range: i..<end.byte, score: 0.95))
                    i = end.byte
                    matched = true
                    break
                }
            }
            if !matched { i += 1 }
        }
    }

    static func mod97(_ chars: [UInt8]) -> Int {
        var remainder = 0
        for c in chars[4...] + chars[0..<4] {
            if isDigit(c) {
                remainder = (remainder * 10 + Int(c - 0x30)) % 97
            } else if isAlpha(c) {
                remainder = (remainder * 100 + Int((c | 0x20) - 0x61 + 10)) % 97
            } else {
                return -1
            }
        }
        return remainder
    }

    // MARK: IP addresses

    static func ipv4(_ b: Bytes, into found: inout [PIIMatch]) {
        var i = 0
        while i < b.count {
            guard isDigit(b[i]), i == 0 || !(isAlnum(b[i - 1]) || b[i - 1] == 0x2E) else {
                i += 1
                continue
            }
            var j = i
            var octets = 0
            var valid = true
            while octets < 4 {
                var value = 0
                var digits = 0
                while j < b.count && isDigit(b[j]) && digits < 4 {
                    value = value * 10 + Int(b[j] - 0x30)
                    digits += 1
                    j += 1
                }
                if digits == 0 || digits > 3 || value > 255 {
                    valid = false
                    break
                }
                octets += 1
                if octets < 4 {
                    guard j + 1 < b.count, b[j] == 0x2E, isDigit(b[j + 1]) else {
                        valid = false
                        break
                    }
                    j += 1
                }
            }
            let glued = j < b.count && (isAlnum(b[j]) || (b[j] == 0x2E && j + 1 < b.count && isDigit(b[j + 1])))
            if valid && octets == 4 && !glued {
                found.append(PIIMatch(entity: .ipAddress, range: i..<j, score: 0.7))
                i = j
            } else {
                // Skip the rest of this run of digits and dots: it is not an address, nor is any part of it.
                while i < b.count && (isDigit(b[i]) || b[i] == 0x2E) { i += 1 }
            }
        }
    }

    static func ipv6(_ b: Bytes, into found: inout [PIIMatch]) {
        var i = 0
        while i < b.count {
            guard isHex(b[i]) || (b[i] == 0x3A && i + 1 < b.count && b[i + 1] == 0x3A),
                i == 0 || !(isAlnum(b[i - 1]) || b[i - 1] == 0x3A)
            else {
                i += 1
                continue
            }
            var j = i
            var colons = 0
            while j < b.count && (isHex(b[j]) || b[j] == 0x3A) {
                if b[j] == 0x3A { colons += 1 }
                j += 1
            }
            // Ordinary words made of hex letters ("face", "added") have no colons: nothing to validate.
            guard colons >= 2 else {
                i = max(j, i + 1)
                continue
            }
            // A trailing colon belongs to the sentence ("address: …:").
            var end = j
            while end > i && b[end - 1] == 0x3A && !(end - 2 >= i && b[end - 2] == 0x3A) { end -= 1 }
            if end - i >= 2, !(j < b.count && isAlnum(b[j])), validIPv6(b, i..<end) {
                found.append(PIIMatch(entity: .ipAddress, range: i..<end, score: 0.7))
            }
            i = max(j, i + 1)
        }
    }

    static func validIPv6(_ b: Bytes, _ range: Range<Int>) -> Bool {
        var groups = 0
        var doubleColons = 0
        var groupLength = 0
        var index = range.lowerBound
        var sawHexLetterOrLongGroup = false
        while index < range.upperBound {
            if b[index] == 0x3A {
                if groupLength > 0 { groups += 1 }
                if index + 1 < range.upperBound && b[index + 1] == 0x3A {
                    doubleColons += 1
                    index += 2
                } else {
                    if groupLength == 0 && index != range.lowerBound { return false }
                    if index == range.lowerBound { return false }
                    index += 1
                }
                groupLength = 0
                continue
            }
            groupLength += 1
            if groupLength > 4 { return false }
            if !isDigit(b[index]) || groupLength == 4 { sawHexLetterOrLongGroup = true }
            index += 1
        }
        if groupLength > 0 { groups += 1 }
        guard doubleColons <= 1 else { return false }
        // Times ("10:30:00") and ratios are not addresses: require the full 8 groups, or "::" with hex in it.
        return doubleColons == 0 ? groups == 8 : (groups <= 7 && (sawHexLetterOrLongGroup || groups >= 3))
    }

    // MARK: Dates of birth

    static let birthWords = words(["born", "birth", "dob", "d.o.b", "birthday", "b-day", "bday", "né", "geboren"])
    static let ordinalSuffixes = words(["st", "nd", "rd", "th"])
    static let months = words(["january", "february", "march", "april", "may", "june", "july", "august",
                               "september", "october", "november", "december"])

    static func datesOfBirth(_ b: Bytes, into found: inout [PIIMatch]) {
        // Context first: most text never mentions a birth, so dates are only parsed in the 40 bytes after a
        // context word, not at every word of the text.
        var i = 0
        var scannedUpTo = 0
        while i < b.count {
            let c = lower(b[i])
            guard c == 0x62 || c == 0x64 || c == 0x6E || c == 0x67, i == 0 || !isAlpha(b[i - 1]),
                let word = birthWords.first(where: { word in
                    i + word.count <= b.count && (0..<word.count).allSatisfy { lower(b[i + $0]) == word[$0] }
                })
            else {
                i += 1
                continue
            }
            var k = max(i + word.count, scannedUpTo)
            let limit = min(b.count, i + word.count + 40)
            while k < limit {
                if (k == 0 || !isAlnum(b[k - 1])) && isAlnum(b[k]), let end = numericDate(b, at: k) ?? namedDate(b, at: k) {
                    found.append(PIIMatch(entity: .dateOfBirth, range: k..<end, score: 0.75))
                    k = end
                    continue
                }
                k += 1
            }
            scannedUpTo = k
            i += word.count
        }
    }

    /// Reads digits; returns the value and the index after them.
    static func number(_ b: Bytes, at i: Int, maxDigits: Int) -> (Int, Int)? {
        var j = i
        var value = 0
        while j < b.count && isDigit(b[j]) && j - i < maxDigits {
            value = value * 10 + Int(b[j] - 0x30)
            j += 1
        }
        if j == i || (j < b.count && isDigit(b[j])) { return nil }
        return (value, j)
    }

    /// `YYYY-MM-DD`, `DD/MM/YYYY`, `MM/DD/YYYY`, `DD.MM.YYYY`.
    static func numericDate(_ b: Bytes, at i: Int) -> Int? {
        guard let (first, a) = number(b, at: i, maxDigits: 4), a < b.count else { return nil }
        let separator = b[a]
        guard separator == 0x2D || separator == 0x2F || separator == 0x2E,
            let (second, c) = number(b, at: a + 1, maxDigits: 2), c < b.count, b[c] == separator,
            let (third, end) = number(b, at: c + 1, maxDigits: 4)
        else { return nil }
        if end < b.count && isAlnum(b[end]) { return nil }
        let digitsOfFirst = a - i
        if digitsOfFirst == 4 { return validDate(year: first, month: second, day: third) ? end : nil }
        // A two-digit year (after a birth context word only): 07/17/51.
        let yearDigits = end - (c + 1)
        guard yearDigits == 4 || yearDigits == 2 else { return nil }
        let year = yearDigits == 4 ? third : third + 1900
        let plausible = validDate(year: year, month: second, day: first) || validDate(year: year, month: first, day: second)
        return plausible ? end : nil
    }

    /// `12 March 1985`, `March 12, 1985`, `12 Mar 1985`.
    static func namedDate(_ b: Bytes, at i: Int) -> Int? {
        func month(at index: Int) -> (Int, Int)? {
            for (number, name) in months.enumerated() {
                for length in [name.count, 3] where index + length <= b.count {
                    if (0..<length).allSatisfy({ lower(b[index + $0]) == name[$0] })
                        && (index + length == b.count || !isAlpha(b[index + length]))
                    {
                        var end = index + length
                        if length == 3 && end < b.count && b[end] == 0x2E { end += 1 }
                        return (number + 1, end)
                    }
                }
            }
            return nil
        }
        func skipSpaces(_ index: Int) -> Int {
            var k = index
            while k < b.count && (b[k] == 0x20 || b[k] == 0x2C) { k += 1 }
            return k
        }
        if isDigit(b[i]), let (day, a) = number(b, at: i, maxDigits: 2) {
            var k = a
            if k + 1 < b.count, ordinalSuffixes.contains([lower(b[k]), lower(b[k + 1])]) { k += 2 }
            k = skipSpaces(k)
            if k + 3 <= b.count && lower(b[k]) == 0x6F && lower(b[k + 1]) == 0x66 && b[k + 2] == 0x20 { k += 3 }
            guard let (m, afterMonth) = month(at: k) else { return nil }
            let y = skipSpaces(afterMonth)
            guard let (year, end) = number(b, at: y, maxDigits: 4), end - y == 4,
                validDate(year: year, month: m, day: day)
            else { return nil }
            return end
        }
        guard let (m, afterMonth) = month(at: i) else { return nil }
        let d = skipSpaces(afterMonth)
        guard d < b.count, let (day, a) = number(b, at: d, maxDigits: 2) else { return nil }
        var k = a
        if k + 1 < b.count, ordinalSuffixes.contains([lower(b[k]), lower(b[k + 1])]) { k += 2 }
        k = skipSpaces(k)
        guard let (year, end) = number(b, at: k, maxDigits: 4), end - k == 4, validDate(year: year, month: m, day: day)
        else { return nil }
        return end
    }

    static func validDate(year: Int, month: Int, day: Int) -> Bool {
        (1900...2030).contains(year) && (1...12).contains(month) && (1...31).contains(day)
    }
}
