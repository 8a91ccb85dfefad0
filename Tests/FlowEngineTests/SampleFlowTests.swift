import Foundation
import Testing

@testable import FlowEngine

/// The sample flows of `flows/`: every one must be valid without warnings, and behave as a tenant admin would expect
/// when run through the simulator with realistic scripts and canned model and integration results.
@Suite struct SampleFlowTests {
    // MARK: The samples

    /// `flows/` of this repository.
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // FlowEngineTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the repository
        .appendingPathComponent("flows")

    /// Every `flows/*.json`.
    static let files: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }()

    /// What the samples refer to, as a tenant that has all of it would have it.
    static let catalog = FlowReferences(
        routes: ["support-default", "support-small"],
        prompts: ["faq-answer": [1, 2, 3]],
        integrations: [
            "orders-api": ["getOrder"],
            "identity": ["sendCode", "checkCode"],
            "crm": ["createLead"],
            "calendar": ["getAvailability", "createBooking", "cancelBooking"],
            "preferences": ["subscribe", "optOut"],
        ],
        flows: ["verify-identity": [1], "order-status": [1]]
    )

    static let tenant: [String: FlowValue] = [
        "brandName": "Acme", "companyName": "Acme", "clinicName": "Acme Dental", "defaultSalesOwner": "sam",
    ]
    static let contact: [String: FlowValue] = [
        "id": "c-42", "name": "Ann Lee", "firstName": "Ann", "phone": "+447700900123",
    ]
    static let channel: [String: FlowValue] = ["type": "whatsapp"]

    static func bytes(_ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: folder.appendingPathComponent(file)))
    }

    static func definition(_ file: String) throws -> FlowDefinition {
        let validation = FlowDefinition.validate(try bytes(file))
        return try #require(validation.definition, "\(file): \(validation.problems.map(\.description))")
    }

    // MARK: Every sample

    @Test func theSamplesAreThere() {
        let expected = [
            "appointment-booking.json", "faq-assistant.json", "lead-capture.json", "opt-out.json", "order-status.json",
            "verify-identity.json",
        ]
        #expect(Set(expected).isSubset(of: Set(Self.files)), "flows/ has \(Self.files)")
    }

    @Test(arguments: SampleFlowTests.files)
    func isValidWithoutWarnings(file: String) throws {
        let validation = FlowDefinition.validate(try Self.bytes(file))
        #expect(validation.errors.isEmpty, "\(validation.errors.map(\.description))")
        #expect(validation.warnings.isEmpty, "\(validation.warnings.map(\.description))")
        let checked = FlowDefinition.validate(try Self.bytes(file), references: Self.catalog)
        #expect(checked.problems.isEmpty, "against the catalog: \(checked.problems.map(\.description))")
    }

    @Test(arguments: SampleFlowTests.files)
    func pointsAtTheSchemaAndIsNamedForItsID(file: String) throws {
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(try Self.bytes(file))) as? [String: Any])
        #expect(document["$schema"] as? String == "./schema/flow.schema.json")
        #expect(document["id"] as? String == String(file.dropLast(".json".count)))
    }

    @Test func togetherTheSamplesUseEveryStateType() throws {
        var used: Set<String> = []
        for file in Self.files { used.formUnion(try Self.definition(file).states.map(\.typeName)) }
        #expect(used == Set(FlowReader.stateTypes))
    }

    // MARK: verify-identity (subflow)

    @Test func verifyIdentityAcceptsTheRightCode() throws {
        let outcome = try simulate(
            "verify-identity.json",
            [.say("12345"), .say("654321")],
            results: [
                "send_code": [ok(["last4": "0123", "expiresInSeconds": 300])],
                "check_code": [ok(["valid": true, "attemptsLeft": 2])],
            ],
            input: ["phone": "+447700900123"]
        )
        #expect(
            bot(outcome) == [
                "To keep your account safe, I've sent a 6-digit code by SMS to the number ending in 0123. Please type it here.",
                "The code is 6 digits, like 123456. Please try again.",
            ])
        #expect(
            states(outcome) == ["send_code", "ask_code", "check_code", "check_result", "mark_verified", "verified"])
        #expect(outcome.ended == "verified")
        #expect(outcome.variables["verified"] == true)
        #expect(outcome.variables["code"] == "654321")
        #expect(
            integrationCalls(outcome).map(\.input) == [
                ["phone": "+447700900123", "channel": "sms"],
                ["phone": "+447700900123", "code": "654321"],
            ])
        #expect(outcome.notes.isEmpty, "\(outcome.notes)")
    }

    @Test func verifyIdentityFailsAfterWrongCodes() throws {
        let outcome = try simulate(
            "verify-identity.json",
            [.say("111111"), .say("222222")],
            results: [
                "send_code": [ok(["last4": "0123"])],
                "check_code": [ok(["valid": false, "attemptsLeft": 1]), ok(["valid": false, "attemptsLeft": 0])],
            ],
            input: ["phone": "+447700900123"]
        )
        #expect(
            bot(outcome).suffix(3) == [
                "That code doesn't match. Attempts left: 1.",
                "To keep your account safe, I've sent a 6-digit code by SMS to the number ending in 0123. Please type it here.",
                "Sorry, I couldn't verify your identity.",
            ])
        #expect(outcome.ended == "failed")
        #expect(outcome.variables["verified"] == false)
    }

    @Test func verifyIdentityExpiresAndReportsAnUnavailableService() throws {
        let expired = try simulate("verify-identity.json", [.timeout], results: ["send_code": [ok(["last4": "0123"])]])
        #expect(bot(expired).last == "The code has expired.")
        #expect(expired.ended == "expired")

        let unavailable = try simulate(
            "verify-identity.json", [], results: ["send_code": [failure("http-503", retryable: true)]])
        #expect(integrationCalls(unavailable).map(\.attempt) == [1, 2])
        #expect(unavailable.ended == "unavailable")
        #expect(unavailable.variables["error"]?.value(at: ["code"]) == "http-503")
    }

    // MARK: order-status

    /// Results for a verified customer whose order has shipped.
    static let shippedOrder: FlowValue = [
        "found": true, "status": "shipped", "carrier": "DHL", "shippedOn": "2027-01-12", "eta": "2027-01-18",
        "trackingUrl": "https://track.example.com/ABC",
    ]
    static let verifies: [String: [FlowEvent.EffectResult.Outcome]] = [
        "send_code": [.success(["last4": "0123"])],
        "check_code": [.success(["valid": true, "attemptsLeft": 2])],
    ]

    @Test func orderStatusHappyPath() throws {
        var results = Self.verifies
        results["lookup"] = [failure("http-503", retryable: true), ok(Self.shippedOrder)]
        let outcome = try simulate(
            "order-status.json",
            [.say("ORD 12345"), .say("ord-123456"), .say("654321"), .tap("track")],
            results: results,
            library: ["verify-identity.json"]
        )
        #expect(
            bot(outcome) == [
                "Hi Ann! I can check on an order for you.",
                "What's your order number? It looks like ORD-123456 and is in your confirmation email.",
                "That doesn't look like an order number. It is 6 digits, with or without ORD- in front, like ORD-123456.",
                "To keep your account safe, I've sent a 6-digit code by SMS to the number ending in 0123. Please type it here.",
                "Good news: order ord-123456 shipped on 2027-01-12 with DHL. Expected delivery: 2027-01-18.",
                "Anything else I can help with?",
                "You can follow your parcel here: https://track.example.com/ABC",
                "Thanks for checking in. Have a great day!",
            ])
        #expect(
            states(outcome, main: "order-status") == [
                "greet", "ask_order", "verify",
                "verify-identity/send_code", "verify-identity/ask_code", "verify-identity/check_code",
                "verify-identity/check_result", "verify-identity/mark_verified", "verify-identity/verified",
                "after_verify", "lookup", "route", "shipped", "anything_else", "after_anything_else", "track_link",
                "goodbye", "done",
            ])
        #expect(outcome.ended == "completed")
        #expect(outcome.variables["order_number"] == "ord-123456")
        #expect(outcome.variables["identity_verified"] == true)
        #expect(outcome.variables["subflowStatus"] == "verified")
        #expect(outcome.variables["next_step"] == "track")
        #expect(outcome.variables["order"] == Self.shippedOrder)
        #expect(outcome.variables["error"] == nil, "a failure that a retry recovers from leaves no error")

        // The lookup was tried twice, after a backoff of 1 to 2 seconds (2 s with equal jitter).
        let lookups = integrationCalls(outcome).filter { $0.operation == "getOrder" }
        #expect(lookups.map(\.attempt) == [1, 2])
        #expect(lookups.first?.input == ["orderNumber": "ord-123456", "customerPhone": "+447700900123"])
        #expect(lookups.first?.timeoutSeconds == 8)
        let retry = try #require(events(outcome, .error).first?.detail)
        #expect(retry["code"] == "http-503")
        let delay = try #require(retry["retryInSeconds"]?.numberValue)
        #expect((1...2).contains(delay))

        // The question after the answer carries its buttons; the tracking message its picture.
        let buttons = try #require(sent(outcome).first { $0.text == "Anything else I can help with?" }?.buttons)
        #expect(buttons.map(\.id) == ["track", "agent", "done"])
        #expect(
            sent(outcome).contains {
                $0.media?.url == "https://cdn.example.com/help/tracking-guide.png" && $0.media?.kind == "image"
            })
        #expect(outcome.notes.isEmpty, "\(outcome.notes)")
    }

    @Test func orderStatusHandsOffWhenTheOrderSystemIsDown() throws {
        var results = Self.verifies
        results["lookup"] = [failure("http-503", retryable: true)]
        let outcome = try simulate(
            "order-status.json", [.say("123456"), .say("654321")], results: results, library: ["verify-identity.json"])
        #expect(integrationCalls(outcome).filter { $0.operation == "getOrder" }.map(\.attempt) == [1, 2, 3])
        #expect(
            bot(outcome).last
                == "Sorry, I can't reach our order system right now. Let me get someone from the team to help.")
        #expect(states(outcome, main: "order-status").suffix(3) == ["lookup", "lookup_failed", "human"])
        let handoff = try #require(handoffs(outcome).first)
        #expect(handoff.queue == "support")
        #expect(handoff.priority == "high")
        #expect(handoff.note == "Order status request for 123456 (last error: http-503).")
        #expect(handoff.resumes == false)
        #expect(outcome.ended == "handoff")
        #expect(outcome.variables["error"]?.value(at: ["code"]) == "http-503")
    }

    @Test func orderStatusInterruptLeavesTheSubflow() throws {
        let outcome = try simulate(
            "order-status.json", [.say("123456"), .say("Can I talk to a person please?")], results: Self.verifies,
            library: ["verify-identity.json"])
        #expect(states(outcome, main: "order-status").suffix(2) == ["verify-identity/ask_code", "human"])
        #expect(events(outcome, .interrupted).first?.detail?["trigger"] != nil)
        #expect(handoffs(outcome).first?.note == "Order status request for 123456.")
        #expect(outcome.ended == "handoff")
        #expect(outcome.variables["subflowStatus"] == nil, "an interrupted subflow returns nothing")
    }

    @Test func orderStatusStopsWhenTheCustomerIsNotVerified() throws {
        let outcome = try simulate(
            "order-status.json",
            [.say("123456"), .say("999999")],
            results: ["send_code": [ok(["last4": "0123"])], "check_code": [ok(["valid": false, "attemptsLeft": 0])]],
            library: ["verify-identity.json"]
        )
        #expect(
            bot(outcome).suffix(2) == [
                "Sorry, I couldn't verify your identity.",
                "For your security I can only share order details once you're verified. You can try again any time by typing \"start over\".",
            ])
        #expect(outcome.variables["subflowStatus"] == "failed")
        #expect(outcome.variables["identity_verified"] == false)
        #expect(integrationCalls(outcome).allSatisfy { $0.operation != "getOrder" })
        #expect(outcome.ended == "unverified")
    }

    @Test func orderStatusRoutesAMissingSubflowToOnError() throws {
        let outcome = try simulate("order-status.json", [.say("123456")], library: [])
        #expect(bot(outcome).last == "Sorry, something went wrong on our side. Let me get a colleague to help.")
        #expect(outcome.variables["error"]?.value(at: ["code"]) == "flow-not-found")
        #expect(outcome.variables["error"]?.value(at: ["state"]) == "verify")
        #expect(handoffs(outcome).first?.note == "Order status request for 123456 (last error: flow-not-found).")
        #expect(outcome.ended == "handoff")
    }

    @Test func orderStatusGivesUpQuietlyAfterATimeout() throws {
        let outcome = try simulate("order-status.json", [.timeout])
        #expect(bot(outcome).last == "No rush! Message me again when you have your order number.")
        #expect(outcome.ended == "abandoned")
    }

    /// Orders as the order system returns them, and the state `route` picks for each.
    static let routes: [(order: FlowValue, state: String)] = [
        (["found": false], "not_found"),
        (["found": true, "status": "SHIPPED"], "shipped"),
        (["found": true, "status": "packed"], "processing"),
        (["found": true, "status": "delivered", "deliveredDaysAgo": 3], "delivered"),
        (["found": true, "status": "delivered", "deliveredDaysAgo": 45], "other_status"),
        (["found": true, "status": "cancelled"], "other_status"),
    ]

    @Test(arguments: SampleFlowTests.routes)
    func orderStatusRoutesEveryStatus(order: FlowValue, expected: String) throws {
        var results = Self.verifies
        results["lookup"] = [.success(order)]
        let outcome = try simulate(
            "order-status.json", [.say("123456"), .say("654321")], results: results, library: ["verify-identity.json"])
        let visited = states(outcome, main: "order-status")
        let route = try #require(visited.firstIndex(of: "route"))
        #expect(visited[route + 1] == expected)
    }

    // MARK: lead-capture

    @Test func leadCaptureQualifiesAnEnterpriseLead() throws {
        let outcome = try simulate(
            "lead-capture.json",
            [
                .say("Ann Lee"), .say("ann@Example.com"), .say("+44 20 7946 0958"), .say("Globex"), .say("Enterprise"),
                .tap("yes"), .agentReturns,
            ],
            results: ["save_lead": [ok(["id": "L-1001"])]]
        )
        #expect(
            bot(outcome) == [
                "Thanks for your interest in Acme! A few quick questions so the right person can get back to you.",
                "What's your name?",
                "Nice to meet you, Ann Lee! What's your work email?",
                "And a phone number we can reach you on? Please include the country code, like +44 20 7946 0958.",
                "Which company are you with?",
                "How many people work at Globex?",
                "Last one: may we send you occasional product news by email?",
                "Thanks Ann Lee! I'm connecting you with our sales team now.",
                "Thanks for talking to us, Ann Lee! You'll find a summary in your inbox at ann@example.com.",
            ])
        let lead: FlowValue = [
            "name": "Ann Lee", "email": "ann@example.com", "phone": "+442079460958", "company": "Globex",
            "companySize": "201+", "marketingOptIn": true, "source": "chat:whatsapp",
        ]
        #expect(outcome.variables["lead"] == lead)
        #expect(integrationCalls(outcome).first?.input == ["lead": lead, "owner": "sam"])
        let handoff = try #require(handoffs(outcome).first)
        #expect(handoff.queue == "sales-enterprise")
        #expect(handoff.priority == "high")
        #expect(handoff.note == "Ann Lee from Globex (201+ people), ann@example.com, +442079460958 (CRM lead L-1001)")
        #expect(handoff.resumes)
        #expect(states(outcome).suffix(5) == ["connecting", "route_lead", "enterprise_handoff", "after_sales", "done"])
        #expect(outcome.ended == "qualified")
        #expect(outcome.notes.isEmpty, "\(outcome.notes)")
    }

    @Test func leadCaptureCopesWithMissingAnswersAndACRMFailure() throws {
        let outcome = try simulate(
            "lead-capture.json",
            [
                .say("B"), .say("Bob"), .say("bob@initech.io"), .say("call me maybe"), .say("12"), .say("Initech"),
                .say("2"), .say("nope"),
            ],
            results: ["save_lead": [failure("http-400")]]
        )
        #expect(bot(outcome).contains("Please tell me your name (2 to 80 characters)."))
        #expect(bot(outcome).contains("No problem, we'll stick to email."))
        #expect(outcome.variables["phone"] == .null)
        #expect(outcome.variables["company_size"] == "11-50", "\"2\" picks the second option")
        #expect(outcome.variables["marketing_opt_in"] == false)
        #expect(outcome.variables["lead"]?.value(at: ["phone"]) == .null)
        #expect(outcome.variables["error"]?.value(at: ["code"]) == "http-400")
        #expect(integrationCalls(outcome).map(\.attempt) == [1], "a failure that is not retryable is not retried")
        let handoff = try #require(handoffs(outcome).first)
        #expect(handoff.queue == "sales")
        #expect(handoff.priority == "normal")
        #expect(handoff.note == "Bob from Initech (11-50 people), bob@initech.io")
        #expect(outcome.waitingFor == "handoff")
        #expect(outcome.ended == nil)
    }

    @Test func leadCaptureGoesStraightToSalesOnRequest() throws {
        let outcome = try simulate("lead-capture.json", [.say("Sales!")])
        #expect(states(outcome) == ["greet", "ask_name", "sales_handoff"])
        #expect(handoffs(outcome).first?.note == "Asked for sales before finishing the questions.")
        #expect(outcome.waitingFor == "handoff")
    }

    // MARK: appointment-booking (the simulated day is Friday 2027-01-15)

    @Test func appointmentBookingBooksAndReminds() throws {
        let outcome = try simulate(
            "appointment-booking.json",
            [
                .say("31/12/2027"), .say("sunday"), .say("next monday"), .tap("14:00"), .say("yes"),
                .wait(seconds: 86_400),
            ],
            results: [
                "check_day": [
                    ok(["weekday": "Sunday", "open": false]),
                    ok(["weekday": "Monday", "open": true, "slots": ["09:00", "14:00"]]),
                ],
                "book": [ok(["reference": "BK-7"])],
            ]
        )
        #expect(
            bot(outcome) == [
                "Let's book your appointment at Acme Dental.",
                "Which day suits you? You can say things like \"tomorrow\", \"next Tuesday\", \"14/03\" or \"14 March\".",
                "I can book from today up to 60 days ahead. Which day would you like?",
                "Sorry, we're closed on Sundays. We're open Monday to Saturday.",
                "Which day suits you? You can say things like \"tomorrow\", \"next Tuesday\", \"14/03\" or \"14 March\".",
                "Monday 2027-01-18 it is. Free times: 09:00 14:00",
                "Shall I book Monday 2027-01-18 at 14:00?",
                "You're booked for Monday 2027-01-18 at 14:00. Your reference is BK-7. I'll send you a reminder tomorrow; type \"cancel\" any time before then to cancel.",
                "Reminder: your appointment is on Monday 2027-01-18 at 14:00 (reference BK-7). See you then!",
            ])
        #expect(
            integrationCalls(outcome).filter { $0.operation == "getAvailability" }.map(\.input) == [
                ["date": "2027-01-17"], ["date": "2027-01-18"],
            ])
        #expect(
            integrationCalls(outcome).last?.input == [
                "date": "2027-01-18", "time": "14:00", "name": "Ann Lee", "phone": "+447700900123",
            ])
        let list = try #require(sent(outcome).first { $0.list != nil }?.list)
        #expect(list.button == "Choose a time")
        #expect(list.sections.map(\.title) == ["Morning", "Afternoon"])
        #expect(list.sections.flatMap(\.rows).map(\.id) == ["09:00", "10:30", "11:30", "14:00", "15:30", "17:00"])
        let confirm = try #require(
            sent(outcome).first { $0.text == "Shall I book Monday 2027-01-18 at 14:00?" }?.buttons)
        #expect(confirm.map(\.id) == ["yes", "no"])
        #expect(events(outcome, .validationFailed).first?.detail?["reason"] == "too-late")
        #expect(outcome.variables["date"] == "2027-01-18")
        #expect(outcome.variables["slot"] == "14:00")
        #expect(outcome.variables["confirm"] == true)
        #expect(states(outcome).suffix(4) == ["booked", "reminder_delay", "reminder", "done"])
        #expect(outcome.ended == "booked")
        #expect(outcome.notes.isEmpty, "\(outcome.notes)")
    }

    @Test func appointmentBookingRetriesATakenSlotAndCancels() throws {
        let outcome = try simulate(
            "appointment-booking.json",
            [.say("18/01/2027"), .tap("14:00"), .tap("yes"), .say("9am"), .say("Yes"), .say("Cancel")],
            results: [
                "check_day": [ok(["weekday": "Monday", "open": true, "slots": ["09:00", "14:00"]])],
                "book": [failure("slot-taken"), ok(["reference": "BK-8"])],
                "cancel_booking": [ok(nil)],
            ]
        )
        #expect(bot(outcome).contains("Sorry, 14:00 was just taken by someone else."))
        #expect(bot(outcome).contains("Shall I book Monday 2027-01-18 at 09:00?"))
        #expect(bot(outcome).last == "Your appointment BK-8 is cancelled. Message us any time to book again.")
        #expect(
            states(outcome).suffix(6) == [
                "booked", "reminder_delay", "cancel_check", "cancel_booking", "cancelled", "cancelled_end",
            ])
        #expect(integrationCalls(outcome).last?.input == ["reference": "BK-8"])
        #expect(outcome.ended == "cancelled")
        #expect(!bot(outcome).contains { $0.hasPrefix("Reminder:") })
    }

    @Test func appointmentBookingHandsOffWhenTheCalendarIsDown() throws {
        let outcome = try simulate(
            "appointment-booking.json", [.say("tomorrow")],
            results: ["check_day": [failure("http-502", retryable: true)]])
        #expect(integrationCalls(outcome).map(\.attempt) == [1, 2])
        #expect(bot(outcome).last == "Sorry, our booking system isn't available right now.")
        #expect(handoffs(outcome).first?.queue == "front-desk")
        #expect(handoffs(outcome).first?.note == "Booking help for 2027-01-16.")
        #expect(outcome.ended == "handoff")
    }

    // MARK: faq-assistant

    static let confidentAnswer: FlowValue = [
        "answer": "You can return unworn items within 30 days.", "confident": true, "topic": "returns",
    ]

    @Test func faqAssistantAnswersAndSaysGoodbye() throws {
        let outcome = try simulate(
            "faq-assistant.json",
            [.say("How long do I have to return something?"), .tap("yes"), .say("no")],
            results: ["answer": [ok(Self.confidentAnswer)]]
        )
        #expect(
            bot(outcome) == [
                "Hi! I'm the Acme help assistant. Ask me about orders, delivery, returns or your account. Type \"agent\" at any time to talk to a person.",
                "What would you like to know?",
                "You can return unworn items within 30 days.",
                "Did that answer your question?",
                "Can I help with anything else?",
                "Happy to help. Bye for now!",
            ])
        let call = try #require(modelCalls(outcome).first)
        #expect(call.route == "support-default")
        #expect(call.prompt == PromptReference(name: "faq-answer", version: 3))
        #expect(
            call.input == [
                "question": "How long do I have to return something?", "customer": "Ann", "channel": "whatsapp",
            ])
        #expect(call.schema?.value(at: ["required"]) == ["answer", "confident", "topic"])
        #expect(call.temperature == 0.2)
        #expect(call.maxTokens == 400)
        #expect(outcome.variables["reply"] == Self.confidentAnswer)
        #expect(outcome.ended == "completed")
        #expect(outcome.notes.isEmpty, "\(outcome.notes)")
    }

    @Test func faqAssistantSummarizesForAColleagueWhenUnsure() throws {
        let outcome = try simulate(
            "faq-assistant.json",
            [.say("Can I change the delivery address?"), .agentReturns],
            results: [
                "answer": [
                    ok([
                        "answer": "You may be able to change it in your account.", "confident": false,
                        "topic": "delivery",
                    ])
                ],
                "summarize": [ok("Customer wants to change the delivery address of an order in transit.")],
            ]
        )
        #expect(
            states(outcome).suffix(6) == [
                "route_reply", "not_sure", "summarize", "human_with_summary", "after_agent", "resolved",
            ])
        let summary = try #require(modelCalls(outcome).last)
        #expect(summary.prompt == nil)
        #expect(summary.messages.map(\.role) == ["system", "user"])
        #expect(
            summary.messages.last?.content
                == "Customer question: Can I change the delivery address?\nAssistant's answer: You may be able to change it in your account.\nThe customer was not satisfied. Write the note."
        )
        #expect(
            handoffs(outcome).first?.note == "Customer wants to change the delivery address of an order in transit.")
        #expect(bot(outcome).last == "Thanks for chatting with us today!")
        #expect(outcome.ended == "resolved")
    }

    @Test func faqAssistantFallsBackToAPersonWhenTheModelFails() throws {
        let outcome = try simulate(
            "faq-assistant.json",
            [.say("Where is my refund?"), .agentReturns],
            results: ["answer": [failure("rate-limited")]]
        )
        #expect(
            bot(outcome).contains("Sorry, I'm having trouble answering right now. I'll connect you with a colleague."))
        #expect(
            handoffs(outcome).first?.note
                == "FAQ assistant handoff. Last question: Where is my refund? (assistant error: rate-limited)")
        #expect(modelCalls(outcome).count == 1, "a model failure is not retried")
        #expect(outcome.ended == "resolved")
    }

    @Test func faqAssistantLinksOrderQuestionsToTheLiveOrderFlow() throws {
        let outcome = try simulate(
            "faq-assistant.json",
            [.say("Where is my order 123456?")],
            results: ["answer": [ok(["answer": "Let me check.", "confident": true, "topic": "orders"])]],
            library: ["order-status.json", "verify-identity.json"]
        )
        #expect(
            bot(outcome).suffix(3) == [
                "That sounds like a question about a specific order. Let me look it up for you.",
                "Hi Ann! I can check on an order for you.",
                "What's your order number? It looks like ORD-123456 and is in your confirmation email.",
            ])
        #expect(
            outcome.statesVisited.suffix(4).map(\.flow) == [
                "faq-assistant", "faq-assistant", "order-status", "order-status",
            ])
        #expect(outcome.context.frames.map(\.flow) == ["order-status"])
        #expect(outcome.context.frames.first?.version == 1)
        #expect(outcome.variables["question"] == nil, "a linked flow starts with its own variables")
        #expect(outcome.variables["identity_verified"] == false)
        #expect(outcome.waitingFor == "answer")
        #expect(events(outcome, .flowEnded).first?.outcome == "linked")
    }

    @Test func faqAssistantInterruptsToAPerson() throws {
        let outcome = try simulate("faq-assistant.json", [.say("I'd like to speak with a real person")])
        #expect(states(outcome) == ["greet", "ask", "human"])
        #expect(handoffs(outcome).first?.note == "FAQ assistant handoff.")
        #expect(outcome.waitingFor == "handoff")
    }

    // MARK: opt-out

    @Test func optOutSubscribesToATopic() throws {
        let outcome = try simulate("opt-out.json", [.say("discounts")], results: ["save_topic": [ok(["ok": true])]])
        #expect(
            bot(outcome) == [
                "Thanks for replying! Reply STOP at any time to unsubscribe.",
                "Which updates would you like from us?",
                "Done! You'll get deals updates. Reply STOP at any time to unsubscribe.",
            ])
        #expect(
            sent(outcome).first?.media
                == .init(
                    kind: "image", url: "https://cdn.example.com/promo/spring-offers.jpg",
                    caption: "Spring offers at Acme", filename: nil))
        #expect(
            integrationCalls(outcome).first?.input == ["contactId": "c-42", "topics": ["deals"], "subscribed": true])
        #expect(outcome.ended == "subscribed")
    }

    @Test(arguments: ["STOP", "Unsubscribe.", "stop all"])
    func optOutKeywordsUnsubscribeAtOnce(keyword: String) throws {
        let outcome = try simulate("opt-out.json", [.say(keyword)], results: ["opt_out": [ok(nil)]])
        #expect(states(outcome) == ["welcome", "ask_topic", "opt_out", "opted_out", "opted_out_end"])
        #expect(integrationCalls(outcome).first?.operation == "optOut")
        #expect(
            integrationCalls(outcome).first?.input == [
                "contactId": "c-42", "channel": "whatsapp", "source": "chat-keyword",
            ])
        #expect(
            bot(outcome).last
                == "You're unsubscribed and won't get any more marketing messages from Acme. Reply START to subscribe again."
        )
        #expect(outcome.ended == "opted-out")
    }

    @Test func optOutConfirmsSofterWording() throws {
        let confirmed = try simulate(
            "opt-out.json", [.say("Please stop messaging me"), .tap("yes")], results: ["opt_out": [ok(nil)]])
        #expect(
            states(confirmed) == [
                "welcome", "ask_topic", "confirm_opt_out", "after_confirm", "opt_out", "opted_out", "opted_out_end",
            ])
        #expect(bot(confirmed).contains("Do you want to stop all messages from Acme?"))
        #expect(confirmed.ended == "opted-out")

        let kept = try simulate("opt-out.json", [.say("don't text me so much"), .say("no")])
        #expect(bot(kept).last == "No problem, you're still subscribed. Reply STOP at any time to unsubscribe.")
        #expect(kept.variables["confirm"] == false)
        #expect(kept.ended == "kept")
    }

    @Test func optOutEscalatesWhenItCannotBeRecorded() throws {
        let outcome = try simulate(
            "opt-out.json", [.say("stop")],
            results: [
                "opt_out": [.failure(FlowFailure(code: "http-503", message: "Service unavailable", retryable: true))]
            ])
        #expect(integrationCalls(outcome).map(\.attempt) == [1, 2, 3, 4, 5])
        #expect(events(outcome, .error).count == 4, "one flow.error event per retry")
        #expect(bot(outcome).last == "We've received your request to unsubscribe. A colleague will confirm it shortly.")
        let handoff = try #require(handoffs(outcome).first)
        #expect(handoff.queue == "compliance")
        #expect(handoff.priority == "urgent")
        #expect(
            handoff.note
                == "Opt-out could not be recorded automatically (http-503: Service unavailable). Please unsubscribe contact c-42 by hand."
        )
        #expect(outcome.ended == "handoff")
    }

    // MARK: Running

    private func simulate(
        _ file: String,
        _ script: [Simulation.Step],
        results: [String: [FlowEvent.EffectResult.Outcome]] = [:],
        library: [String] = [],
        input: [String: FlowValue] = [:]
    ) throws -> Simulation.Outcome {
        let flow = try Self.definition(file)
        var flows = FlowLibrary()
        for name in library { flows.add(try Self.definition(name), version: 1) }
        let simulation = Simulation(
            script: script,
            results: results,
            input: input,
            contact: Self.contact,
            channel: Self.channel,
            conversationId: "sample-" + file
        )
        return simulation.run(flow, version: 1, library: flows, tenant: Self.tenant)
    }

    private func ok(_ value: FlowValue) -> FlowEvent.EffectResult.Outcome { .success(value) }

    private func failure(_ code: String, retryable: Bool = false) -> FlowEvent.EffectResult.Outcome {
        .failure(FlowFailure(code: code, message: "Simulated \(code).", retryable: retryable))
    }

    /// The texts the bot sent, in order.
    private func bot(_ outcome: Simulation.Outcome) -> [String] {
        outcome.transcript.filter { $0.from == "bot" }.compactMap(\.text)
    }

    /// Every message the bot sent, rendered.
    private func sent(_ outcome: Simulation.Outcome) -> [Effect.OutboundMessage] {
        outcome.transcript.compactMap(\.message)
    }

    /// The states entered; states of other flows than `main` as `flow/state`.
    private func states(_ outcome: Simulation.Outcome, main: String? = nil) -> [String] {
        let main = main ?? outcome.statesVisited.first?.flow
        return outcome.statesVisited.map { $0.flow == main ? $0.state : "\($0.flow)/\($0.state)" }
    }

    private func integrationCalls(_ outcome: Simulation.Outcome) -> [Effect.IntegrationCall] {
        outcome.effects.compactMap { effect in
            if case .callIntegration(let call) = effect { return call }
            return nil
        }
    }

    private func modelCalls(_ outcome: Simulation.Outcome) -> [Effect.ModelCall] {
        outcome.effects.compactMap { effect in
            if case .callModel(let call) = effect { return call }
            return nil
        }
    }

    private func handoffs(_ outcome: Simulation.Outcome) -> [Effect.Handoff] {
        outcome.effects.compactMap { effect in
            if case .handOff(let handoff) = effect { return handoff }
            return nil
        }
    }

    private func events(_ outcome: Simulation.Outcome, _ kind: FlowAnalyticsEvent.Kind) -> [FlowAnalyticsEvent] {
        outcome.effects.compactMap { effect in
            if case .event(let event) = effect, event.kind == kind { return event }
            return nil
        }
    }
}
