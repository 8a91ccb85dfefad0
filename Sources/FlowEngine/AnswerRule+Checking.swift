extension AnswerRule {
    /// Why an answer was not accepted, as reported in `validation-failed` events.
    public enum Refusal: String, Error, Sendable, Codable {
        case empty, notANumber = "not-a-number", notAWholeNumber = "not-a-whole-number", tooSmall = "too-small",
            tooLarge = "too-large", tooShort = "too-short", tooLong = "too-long", notAnEmail = "not-an-email",
            notAPhone = "not-a-phone", notADate = "not-a-date", tooEarly = "too-early", tooLate = "too-late",
            notAnOption = "not-an-option", notYesOrNo = "not-yes-or-no", pattern
    }

    /// Checks an answer and returns the value to store.
    ///
    /// - Parameters:
    ///   - text: the message text.
    ///   - payload: the id of the button or list row tapped, if any.
    ///   - today: the current day, in days since 1970-01-01 (UTC).
    ///   - dateOrder: how to read `03/04/2027`.
    /// - Returns: the value (numbers as numbers, dates as `YYYY-MM-DD`, choices as the option's value), or why the
    ///   answer was refused.
    public func check(text: String, payload: String?, today: Int, dateOrder: FlowDefinition.DateOrder) -> Result<FlowValue, Refusal> {
        // A tap may arrive with no text: its payload is the answer.
        let typed = text.trimmingWhitespace
        let answer = typed.isEmpty ? (payload ?? "").trimmingWhitespace : typed
        if kind == .choice, let payload, let option = options.first(where: { $0.value == payload }) {
            return .success(.string(option.value))
        }
        guard !answer.isEmpty else { return .failure(.empty) }
        if let pattern, !pattern.matchesWhole(answer) { return .failure(.pattern) }
        switch kind {
        case .text:
            let length = answer.count
            if case .number(let minimum)? = minimum, Double(length) < minimum { return .failure(.tooShort) }
            if case .number(let maximum)? = maximum, Double(length) > maximum { return .failure(.tooLong) }
            return .success(.string(answer))
        case .number, .integer:
            guard let number = Self.number(answer) else { return .failure(.notANumber) }
            if kind == .integer && number.rounded() != number { return .failure(.notAWholeNumber) }
            if case .number(let minimum)? = minimum, number < minimum { return .failure(.tooSmall) }
            if case .number(let maximum)? = maximum, number > maximum { return .failure(.tooLarge) }
            return .success(.number(number))
        case .email:
            guard let email = Self.email(answer) else { return .failure(.notAnEmail) }
            return .success(.string(email))
        case .phone:
            guard let phone = Self.phone(answer) else { return .failure(.notAPhone) }
            return .success(.string(phone))
        case .date:
            guard let day = DateAnswer.parse(answer, today: today, order: dateOrder) else { return .failure(.notADate) }
            if let minimum, let bound = DateAnswer.day(of: minimum, today: today), day < bound { return .failure(.tooEarly) }
            if let maximum, let bound = DateAnswer.day(of: maximum, today: today), day > bound { return .failure(.tooLate) }
            return .success(.string(DateAnswer.iso(day)))
        case .choice:
            let key = Keyword.normalize(answer)
            if let option = options.first(where: { Keyword.normalize($0.value) == key || $0.synonyms.contains(key) }) {
                return .success(.string(option.value))
            }
            // "2" picks the second option, as in numbered text menus.
            if let index = Int(key), options.indices.contains(index - 1) { return .success(.string(options[index - 1].value)) }
            return .failure(.notAnOption)
        case .boolean:
            let key = Keyword.normalize(payload ?? answer)
            if Self.yes.contains(key) { return .success(.bool(true)) }
            if Self.no.contains(key) { return .success(.bool(false)) }
            return .failure(.notYesOrNo)
        }
    }

    static let yes: Set<String> = ["yes", "y", "yeah", "yep", "sure", "ok", "okay", "true", "1", "si", "sí", "oui", "ja", "👍"]
    static let no: Set<String> = ["no", "n", "nope", "nah", "false", "0", "non", "nein", "👎"]

    /// A number written as `42`, `-3.5`, `1,250.75`, `1 250` or `3,5` (decimal comma).
    static func number(_ text: String) -> Double? {
        var cleaned = text.filter { $0 != " " && $0 != "\u{00A0}" && $0 != "_" }
        let commas = cleaned.filter { $0 == "," }.count
        if cleaned.contains(".") {
            cleaned.removeAll { $0 == "," }
        } else if commas == 1, let comma = cleaned.firstIndex(of: ","), cleaned.distance(from: comma, to: cleaned.endIndex) - 1 != 3 {
            cleaned.replaceSubrange(comma...comma, with: ".")
        } else {
            cleaned.removeAll { $0 == "," }
        }
        guard !cleaned.isEmpty, cleaned.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-" || $0 == "+") }),
            let value = Double(cleaned), value.isFinite
        else { return nil }
        return value
    }

    /// An address with one `@`, a local part, and a domain with a dot; the domain is lowercased.
    static func email(_ text: String) -> String? {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last, !local.isEmpty, local.count <= 64,
            domain.count <= 253, !text.contains(where: { $0.isWhitespace })
        else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }),
            let top = labels.last, top.count >= 2, top.allSatisfy(\.isLetter),
            domain.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }),
            !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { return nil }
        return "\(local)@\(domain.lowercased())"
    }

    /// A phone number of 7 to 15 digits with optional `+` or `00`, spaces, dots, dashes and parentheses;
    /// returned as `+` and digits when international, else digits.
    static func phone(_ text: String) -> String? {
        var international = false
        var digits = ""
        for (offset, character) in text.enumerated() {
            switch character {
            case "+" where offset == 0: international = true
            case "0"..."9": digits.append(character)
            case " ", "-", ".", "(", ")", "/": continue
            default: return nil
            }
        }
        if !international, digits.hasPrefix("00") {
            international = true
            digits.removeFirst(2)
        }
        guard (7...15).contains(digits.count) else { return nil }
        return international ? "+" + digits : digits
    }
}

/// Dates as days since 1970-01-01, converted with the proleptic Gregorian calendar in UTC.
enum DateAnswer {
    static let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december"]
    static let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    static func days(year: Int, month: Int, day: Int) -> Int? {
        guard (1...12).contains(month), (1...31).contains(day), (1...9999).contains(year) else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let result = era * 146_097 + doe - 719_468
        let check = civil(result)
        return check.month == month && check.day == day ? result : nil
    }

    static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func iso(_ days: Int) -> String {
        let (year, month, day) = civil(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// 0 for Monday … 6 for Sunday.
    static func weekday(_ days: Int) -> Int { ((days % 7) + 7 + 3) % 7 }

    static func bound(_ text: String) -> AnswerRule.Bound? {
        let trimmed = text.trimmingWhitespace.lowercased()
        if trimmed == "today" { return .day(relativeToToday: 0, fixed: nil) }
        if trimmed.hasPrefix("today") {
            let rest = trimmed.dropFirst(5).filter { $0 != " " }
            guard let sign = rest.first, sign == "+" || sign == "-", let count = Int(rest.dropFirst()), count <= 36_500 else { return nil }
            return .day(relativeToToday: sign == "+" ? count : -count, fixed: nil)
        }
        return isoDay(trimmed).map { .day(relativeToToday: nil, fixed: $0) }
    }

    static func day(of bound: AnswerRule.Bound, today: Int) -> Int? {
        switch bound {
        case .number: return nil
        case .day(let relative, let fixed): return fixed ?? relative.map { today + $0 }
        }
    }

    static func isoDay(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, let year = Int(parts[0]), let month = Int(parts[1]),
            let day = Int(parts[2]), parts[1].count <= 2, parts[2].count <= 2
        else { return nil }
        return days(year: year, month: month, day: day)
    }

    /// Reads a day: `2027-03-31`, `31/03/2027` (or `03/31/2027` for `mdy`), `31.3.27`, `31/3`, `31 March 2027`,
    /// `March 31`, `today`, `tomorrow`, `friday` or `next friday`. A date without a year is the next such day.
    static func parse(_ text: String, today: Int, order: FlowDefinition.DateOrder) -> Int? {
        let lowered = text.lowercased().trimmingWhitespace
        switch lowered {
        case "today": return today
        case "tomorrow": return today + 1
        case "day after tomorrow", "the day after tomorrow": return today + 2
        default: break
        }
        if let iso = isoDay(lowered) { return iso }
        var words = lowered.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        if words.first == "next" || words.first == "this" || words.first == "on" { words.removeFirst() }
        if words.count == 1, let weekday = weekdays.firstIndex(where: { $0 == words[0] || $0.prefix(3) == words[0] }) {
            let ahead = (weekday - Self.weekday(today) + 7) % 7
            return today + (ahead == 0 ? 7 : ahead)
        }
        // Numeric: 31/03/2027, 31.3.27, 31-3-2027, 31/3.
        let numeric = lowered.split(whereSeparator: { $0 == "/" || $0 == "." || $0 == "-" })
        if numeric.count >= 2, numeric.count <= 3,
            numeric.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy { $0.isASCII && $0.isNumber } })
        {
            let numbers = numeric.compactMap { Int($0) }
            guard numbers.count == numeric.count else { return nil }
            let (day, month) = order == .dmy ? (numbers[0], numbers[1]) : (numbers[1], numbers[0])
            if numbers.count == 3 {
                var year = numbers[2]
                if numeric[2].count == 2 { year += 2000 } else if numeric[2].count != 4 { return nil }
                return days(year: year, month: month, day: day)
            }
            return nextOccurrence(month: month, day: day, today: today)
        }
        // Words: 31 March 2027, March 31st, 31st of March.
        var month: Int?
        var day: Int?
        var year: Int?
        for word in words where word != "of" && word != "the" {
            if let index = months.firstIndex(where: { $0 == word || (word.count >= 3 && $0.hasPrefix(word)) }) {
                if month != nil { return nil }
                month = index + 1
                continue
            }
            var digits = Substring(word)
            for suffix in ["st", "nd", "rd", "th"] where digits.hasSuffix(suffix) { digits = digits.dropLast(2) }
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) else { return nil }
            if digits.count == 4, year == nil { year = number } else if digits.count <= 2, day == nil { day = number } else { return nil }
        }
        guard let month, let day else { return nil }
        if let year { return days(year: year, month: month, day: day) }
        return nextOccurrence(month: month, day: day, today: today)
    }

    private static func nextOccurrence(month: Int, day: Int, today: Int) -> Int? {
        let year = civil(today).year
        if let candidate = days(year: year, month: month, day: day), candidate >= today { return candidate }
        return days(year: year + 1, month: month, day: day)
    }
}
