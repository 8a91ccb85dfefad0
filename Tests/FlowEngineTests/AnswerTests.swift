import Foundation
import Testing

@testable import FlowEngine

@Suite struct AnswerTests {
    let today = DateAnswer.days(year: 2027, month: 1, day: 15)!  // a Friday

    func check(_ kind: AnswerRule.Kind, _ text: String, min: AnswerRule.Bound? = nil, max: AnswerRule.Bound? = nil, order: FlowDefinition.DateOrder = .dmy) -> Result<FlowValue, AnswerRule.Refusal> {
        AnswerRule(kind: kind, pattern: nil, minimum: min, maximum: max, options: []).check(text: text, payload: nil, today: today, dateOrder: order)
    }

    @Test func numbers() throws {
        #expect(try check(.number, "1,250.75").get() == .number(1250.75))
        #expect(try check(.number, "3,5").get() == .number(3.5))
        #expect(try check(.number, "1 000").get() == .number(1000))
        #expect(try check(.number, "-2").get() == .number(-2))
        #expect(check(.number, "twelve") == .failure(.notANumber))
        #expect(check(.integer, "2.5") == .failure(.notAWholeNumber))
        #expect(check(.number, "5", min: .number(6)) == .failure(.tooSmall))
        #expect(check(.number, "7", max: .number(6)) == .failure(.tooLarge))
        #expect(check(.text, "ab", min: .number(3)) == .failure(.tooShort))
        #expect(check(.text, "   ") == .failure(.empty))
    }

    @Test func emailsAndPhones() throws {
        #expect(try check(.email, "Ana.Lopez+tag@Example.COM").get() == "Ana.Lopez+tag@example.com")
        for bad in ["ana@", "@example.com", "ana@example", "ana example@x.com", "a..b@x.com", "ana@x.c"] {
            #expect(check(.email, bad) == .failure(.notAnEmail), "\(bad)")
        }
        #expect(try check(.phone, "+1 (555) 010-0199").get() == "+15550100199")
        #expect(try check(.phone, "0049 30 1234567").get() == "+49301234567")
        #expect(try check(.phone, "030 1234567").get() == "0301234567")
        #expect(check(.phone, "12345") == .failure(.notAPhone))
        #expect(check(.phone, "call me") == .failure(.notAPhone))
    }

    @Test func dates() throws {
        func day(_ text: String, _ order: FlowDefinition.DateOrder = .dmy) -> String? {
            try? check(.date, text, order: order).get().text
        }
        #expect(day("2027-03-04") == "2027-03-04")
        #expect(day("04/03/2027") == "2027-03-04")
        #expect(day("04/03/2027", .mdy) == "2027-04-03")
        #expect(day("4.3.27") == "2027-03-04")
        #expect(day("today") == "2027-01-15")
        #expect(day("Tomorrow") == "2027-01-16")
        #expect(day("monday") == "2027-01-18")
        #expect(day("next Friday") == "2027-01-22")
        #expect(day("4 March 2027") == "2027-03-04")
        #expect(day("March 4th") == "2027-03-04")
        #expect(day("1 jan") == "2028-01-01")  // already past this year
        #expect(day("31/02/2027") == nil)
        #expect(day("soon") == nil)
        for digits in ["٣/٤", "½/3", "３/１", "٣ March"] { #expect(day(digits) == nil, "\(digits)") }
        #expect(check(.date, "yesterday") == .failure(.notADate))
        #expect(check(.date, "2027-01-14", min: DateAnswer.bound("today")) == .failure(.tooEarly))
        #expect(check(.date, "2027-03-20", max: DateAnswer.bound("today+60")) == .failure(.tooLate))
        #expect(try check(.date, "2027-03-16", max: DateAnswer.bound("today+60")).get() == "2027-03-16")
        #expect(check(.date, "2026-12-31", min: DateAnswer.bound("2027-01-01")) == .failure(.tooEarly))
        #expect(DateAnswer.weekday(DateAnswer.days(year: 1970, month: 1, day: 1)!) == 3)  // a Thursday
    }

    @Test func booleansAndPatterns() throws {
        #expect(try check(.boolean, "Yes!").get() == true)
        #expect(try check(.boolean, "nope").get() == false)
        #expect(check(.boolean, "maybe") == .failure(.notYesOrNo))
        let pattern = try MessagePattern("^[0-9]{6}$")
        let rule = AnswerRule(kind: .text, pattern: pattern, minimum: nil, maximum: nil, options: [])
        #expect(try rule.check(text: "123456", payload: nil, today: today, dateOrder: .dmy).get() == "123456")
        #expect(rule.check(text: "order 123456", payload: nil, today: today, dateOrder: .dmy) == .failure(.pattern))
        #expect(rule.check(text: "1234567", payload: nil, today: today, dateOrder: .dmy) == .failure(.pattern))
        let unanchored = AnswerRule(kind: .text, pattern: try MessagePattern("[A-Z]{2}-[0-9]+"), minimum: nil, maximum: nil, options: [])
        #expect(unanchored.check(text: "AB-12 x", payload: nil, today: today, dateOrder: .dmy) == .failure(.pattern))
        #expect(throws: TemplateError.self) { try MessagePattern("^abc") }
    }
}

@Suite struct TemplateTests {
    @Test func rendersVariablesSectionsAndTransformsWithoutEscaping() throws {
        let scope = RenderScope(
            vars: ["name": "Ana & <Bo>", "items": [["sku": "A1"], ["sku": "B2"]], "vip": true, "none": .null, "n": 3, "price": 9.5, "order": ["id": 7]],
            contact: ["lang": "es"],
            tenant: ["brand": "Acme"]
        )
        func render(_ source: String) throws -> String { try Template(source).render(scope) }
        #expect(try render("Hi {{name}}") == "Hi Ana & <Bo>")
        #expect(try render("{{#items}}[{{sku}}]{{/items}}") == "[A1][B2]")
        #expect(try render("{{#vip}}VIP{{/vip}}{{^vip}}regular{{/vip}}") == "VIP")
        #expect(try render("{{^none}}empty{{/none}}") == "empty")
        #expect(try render("{{n}} × {{price}} {{order}}") == #"3 × 9.5 {"id":7}"#)
        #expect(try render("{{uppercased(contact.lang)}} {{tenant.brand}} {{vars.order.id}}") == "ES Acme 7")
        #expect(try render("{{missing}}|{{contact.missing}}") == "|")
        #expect(try render("plain text") == "plain text")
    }

    @Test func plainTemplatesAndSectionTemplatesRenderValuesAlike() throws {
        let scope = RenderScope(vars: ["list": [1, "a"], "n": 2.5, "flag": false, "obj": ["k": "v"], "s": "x"])
        let plain = try Template("{{list}}|{{n}}|{{flag}}|{{obj}}|{{s}}|{{missing}}")
        let general = try Template("{{list}}|{{n}}|{{flag}}|{{obj}}|{{s}}|{{missing}}{{#s}}{{/s}}")
        #expect(plain.segments != nil && general.segments == nil)
        #expect(plain.render(scope) == #"[1,"a"]|2.5|false|{"k":"v"}|x|"#)
        #expect(general.render(scope) == plain.render(scope))
        #expect(try Template("{{list.1}}{{#s}}!{{/s}}").render(scope) == "a!")
        #expect(try Template("{{list.1}}").render(scope) == "a")
        #expect(try Template("{{count(list)}} {{#first(list)}}{{.}}{{/first(list)}}").render(scope) == "2 1")
    }

    @Test func aSoleReferenceKeepsTheValueType() throws {
        #expect(try Template("{{order}}").soleReference == "order")
        #expect(try Template(" {{ vars.order.items }} ").soleReference == "vars.order.items")
        #expect(try Template("{{a}}{{b}}").soleReference == nil)
        #expect(try Template("x {{a}}").soleReference == nil)
    }

    @Test func outputIsBounded() throws {
        let scope = RenderScope(vars: ["big": .string(String(repeating: "é", count: 40_000))])
        let text = try Template("{{big}}{{big}}").render(scope)
        #expect(text.utf8.count <= Template.maximumOutput)
        #expect(text.utf8.count > Template.maximumOutput - 4)
    }
}
