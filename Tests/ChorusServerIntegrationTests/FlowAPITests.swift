import Foundation
import HTTPTypes
import Testing

@Suite struct FlowAPITests {
    /// A flow that says hello and ends; `text` changes what it says.
    static func greeting(_ id: String, text: String = "Hello!") -> String {
        """
        {
          "id": "\(id)",
          "name": "Greeting \(id)",
          "start": "hello",
          "states": {
            "hello": {"type": "message", "text": "\(text)", "next": "done"},
            "done": {"type": "end"}
          }
        }
        """
    }

    /// Asks for an order number, looks the order up in an integration and says where it is.
    static let orderStatus = #"""
        {
          "id": "order-status",
          "start": "ask",
          "states": {
            "ask": {
              "type": "collect", "variable": "order_number", "prompt": "Your order number?",
              "validate": {"type": "text", "pattern": "^\\d{6}$"},
              "on": {"collected": "lookup", "exhausted": "done"}
            },
            "lookup": {
              "type": "integration", "integration": "orders-api", "operation": "getOrder",
              "input": {"orderNumber": "{{order_number}}"}, "output": "order",
              "on": {"success": "tell", "failure": "sorry"}
            },
            "tell": {"type": "message", "text": "Order {{order_number}} is {{order.status}}.", "next": "helper"},
            "sorry": {"type": "message", "text": "Sorry, the order system is down ({{error.code}}).", "next": "done"},
            "helper": {"type": "call", "flow": "helper", "version": 1, "next": "done"},
            "done": {"type": "end"}
          }
        }
        """#

    static func problems(_ response: APIResponse) -> [[String: Any]] { response.json["problems"] as? [[String: Any]] ?? [] }

    @Test func draftsAreSavedAsSentEvenWhileInvalid() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("flows")
            let editor = try await api.addMember(to: tenant, role: "editor")
            let author = Credential.bearer(editor.token)
            // A dangling transition and a duplicate key: saved, and reported with their pointers.
            let draft = #"{"id": "greeting", "start": "hello", "states": {"hello": {"type": "message", "text": "Hi", "next": "nowhere"}, "hello": {"type": "end"}}}"#
            let created = try await api.call(.post, "/api/v2/flows", as: author, raw: draft)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.json["valid"] as? Bool == false)
            #expect(Set(Self.problems(created).compactMap { $0["pointer"] as? String }).isSuperset(of: ["/states/hello", "/states/hello/next"]))
            #expect(created.string("draftUpdatedBy") == "member:\(editor.id)")
            #expect(created.string("name") == "greeting")
            // The draft comes back byte for byte, keys in their order, duplicates kept.
            #expect(created.text.contains(#""draft":\#(draft)"#))
            let fetched = try await api.call(.get, "/api/v2/flows/greeting", as: tenant.owner)
            #expect(fetched.status == 200 && fetched.text.contains(#""draft":\#(draft)"#))
            #expect(fetched.json["latestVersion"] == nil && fetched.json["liveVersion"] == nil)

            #expect(try await api.call(.post, "/api/v2/flows", as: author, raw: Self.greeting("greeting")).status == 409)
            let notJSON = try await api.call(.post, "/api/v2/flows", as: author, raw: #"{"id": "x", "#)
            #expect(notJSON.status == 400 && notJSON.problemCode == "malformed-body")
            #expect(notJSON.string("detail")?.contains("line 1") == true)
            let array = try await api.call(.post, "/api/v2/flows", as: author, raw: "[1]")
            #expect(array.status == 422 && array.pointers == [""])
            let noID = try await api.call(.post, "/api/v2/flows", as: author, raw: #"{"start": "a"}"#)
            #expect(noID.status == 422 && noID.pointers == ["/id"])
            let badID = try await api.call(.post, "/api/v2/flows", as: author, raw: #"{"id": "Not A Slug"}"#)
            #expect(badID.status == 422 && badID.pointers == ["/id"])
            let twoIDs = try await api.call(.post, "/api/v2/flows", as: author, raw: #"{"id": "one", "id": "two"}"#)
            #expect(twoIDs.status == 422 && twoIDs.pointers == ["/id"])
            let empty = try await api.call(.post, "/api/v2/flows", as: author)
            #expect(empty.status == 400)
            // A byte-order mark is not JSON to the engine, so such a draft would come back unreadable: refused.
            let marked = try await api.call(.post, "/api/v2/flows", as: author, raw: "\u{FEFF}" + Self.greeting("marked"))
            #expect(marked.status == 400 && marked.problemCode == "malformed-body")

            let renamed = try await api.call(.put, "/api/v2/flows/greeting/draft", as: author, raw: Self.greeting("other"))
            #expect(renamed.status == 422 && renamed.pointers == ["/id"])
            let fixed = try await api.call(.put, "/api/v2/flows/greeting/draft", as: author, raw: Self.greeting("greeting"))
            #expect(fixed.status == 200, "\(fixed.text)")
            #expect(fixed.json["valid"] as? Bool == true && Self.problems(fixed).isEmpty)
            #expect(fixed.string("name") == "Greeting greeting")
            // Saves that name the ETag they read succeed once; the second of two editors is refused, not overwritten.
            let tag = try #require(fixed.headers[.eTag])
            #expect(try await api.call(.get, "/api/v2/flows/greeting", as: author).headers[.eTag] == tag)
            let first = try await api.call(.put, "/api/v2/flows/greeting/draft", as: author, raw: Self.greeting("greeting", text: "One"), headers: [.ifMatch: tag])
            #expect(first.status == 200 && first.headers[.eTag] != tag)
            let second = try await api.call(.put, "/api/v2/flows/greeting/draft", as: author, raw: Self.greeting("greeting", text: "Two"), headers: [.ifMatch: tag])
            #expect(second.status == 412 && second.problemCode == "precondition-failed")
            #expect(try await api.call(.get, "/api/v2/flows/greeting", as: author).text.contains("One"))
                        #expect(try await api.call(.put, "/api/v2/flows/missing/draft", as: author, raw: Self.greeting("missing")).status == 404)
            #expect(try await api.call(.get, "/api/v2/flows/NOT%20A%20SLUG", as: author).status == 404)

            let list = try await api.call(.get, "/api/v2/flows", as: tenant.owner)
            #expect(list.items.map { $0["id"] as? String } == ["greeting"])
            #expect(list.items.first?["draft"] == nil, "listings leave drafts out")
            let audit = try await api.call(.get, "/api/v2/audit?resourceType=flow", as: tenant.owner)
            #expect(audit.items.compactMap { $0["action"] as? String } == ["flow.created", "flow.draft.updated", "flow.draft.updated"])
        }
    }

    @Test func validationPointsIntoTheDraftOrTheDocumentSent() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("flows")
            let draft = #"{"id": "caller", "start": "a", "states": {"a": {"type": "message", "text": "x", "next": "b"}, "b": {"type": "call", "flow": "helper", "version": 1, "next": "c"}, "c": {"type": "end"}, "lost": {"type": "end"}}}"#
            #expect(try await api.call(.post, "/api/v2/flows", as: tenant.owner, raw: draft).status == 201)
            let checked = try await api.call(.post, "/api/v2/flows/caller/validate", as: tenant.owner)
            #expect(checked.status == 200)
            #expect(checked.json["valid"] as? Bool == false)
            let problems = Self.problems(checked)
            // No published flow `helper`: checked against this tenant's flows.
            #expect(problems.contains { $0["pointer"] as? String == "/states/b/flow" && $0["code"] as? String == "unknown-flow" })
            #expect(problems.contains { $0["pointer"] as? String == "/states/lost" && $0["code"] as? String == "unreachable-state" })
            #expect(problems.allSatisfy { $0["severity"] != nil && $0["message"] != nil })

            let other = try await api.call(.post, "/api/v2/flows/caller/validate", as: tenant.owner, raw: Self.greeting("caller"))
            #expect(other.json["valid"] as? Bool == true)
            let broken = try await api.call(.post, "/api/v2/flows/caller/validate", as: tenant.owner, raw: "{oops")
            #expect(Self.problems(broken).first?["code"] as? String == "json")
            // Validating saves nothing.
            let saved = try await api.call(.get, "/api/v2/flows/caller", as: tenant.owner)
            #expect(saved.text.contains(draft))
            #expect(try await api.call(.post, "/api/v2/flows/nope/validate", as: tenant.owner).status == 404)
        }
    }

    @Test func onlyPublishersPublishAndVersionsCountUpAndNeverChange() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("flows")
            let editor = Credential.bearer(try await api.addMember(to: tenant, role: "editor").token)
            let admin = try await api.addMember(to: tenant, role: "admin")
            let publisher = Credential.bearer(admin.token)
            let first = Self.greeting("welcome", text: "Hello!")
            #expect(try await api.call(.post, "/api/v2/flows", as: editor, raw: first).status == 201)
            let refused = try await api.call(.post, "/api/v2/flows/welcome/versions", as: editor, json: ["message": "first"])
            #expect(refused.status == 403 && refused.problemCode == "forbidden")
            let noMessage = try await api.call(.post, "/api/v2/flows/welcome/versions", as: publisher, json: ["message": "  "])
            #expect(noMessage.status == 422 && noMessage.pointers == ["/message"])

            let v1 = try await api.call(.post, "/api/v2/flows/welcome/versions", as: publisher, json: ["message": "first"])
            #expect(v1.status == 201, "\(v1.text)")
            #expect(v1.json["version"] as? Int == 1 && v1.json["live"] as? Bool == true)
            #expect(v1.string("author") == "member:\(admin.id)")

            let second = Self.greeting("welcome", text: "Welcome back!")
            #expect(try await api.call(.put, "/api/v2/flows/welcome/draft", as: editor, raw: second).status == 200)
            let v2 = try await api.call(.post, "/api/v2/flows/welcome/versions", as: publisher,
                                        json: ["message": "friendlier", "makeLive": false])
            #expect(v2.json["version"] as? Int == 2 && v2.json["live"] as? Bool == false)
            let v3 = try await api.call(.post, "/api/v2/flows/welcome/versions", as: tenant.owner, json: ["message": "again"])
            #expect(v3.json["version"] as? Int == 3 && v3.json["live"] as? Bool == true)

            // Publishing later versions leaves version 1 exactly as it was published.
            let old = try await api.call(.get, "/api/v2/flows/welcome/versions/1", as: editor)
            #expect(old.status == 200 && old.text.contains(#""definition":\#(first)"#))
            #expect(old.json["live"] as? Bool == false && old.string("message") == "first")
            let listed = try await api.call(.get, "/api/v2/flows/welcome/versions", as: editor)
            #expect(listed.items.compactMap { $0["version"] as? Int } == [3, 2, 1])
            #expect(listed.items.compactMap { $0["live"] as? Bool } == [true, false, false])
            #expect(listed.items.allSatisfy { $0["definition"] == nil })
            #expect(try await api.call(.get, "/api/v2/flows/welcome/versions/4", as: editor).status == 404)
            #expect(try await api.call(.get, "/api/v2/flows/welcome/versions/0", as: editor).status == 404)
            #expect(try await api.call(.get, "/api/v2/flows/welcome/versions/x", as: editor).status == 404)
            let summary = try await api.call(.get, "/api/v2/flows", as: editor).items.first
            #expect(summary?["latestVersion"] as? Int == 3 && summary?["liveVersion"] as? Int == 3)

            // An invalid draft is refused with every error's pointer, and nothing is published.
            let broken = #"{"id": "welcome", "start": "hello", "states": {"hello": {"type": "message", "text": "x", "next": "gone"}, "orphan": {"type": "wait"}}}"#
            #expect(try await api.call(.put, "/api/v2/flows/welcome/draft", as: editor, raw: broken).status == 200)
            let invalid = try await api.call(.post, "/api/v2/flows/welcome/versions", as: publisher, json: ["message": "broken"])
            #expect(invalid.status == 422 && invalid.problemCode == "validation")
            #expect(invalid.pointers.isSuperset(of: ["/states/hello/next", "/states/orphan"]))
            #expect((invalid.json["errors"] as? [[String: Any]])?.contains { $0["code"] as? String == "dangling-transition" } == true)
            #expect(try await api.call(.get, "/api/v2/flows/welcome/versions", as: editor).items.count == 3)

            let audit = try await api.call(.get, "/api/v2/audit?action=flow.published", as: tenant.owner)
            #expect(audit.items.count == 3)
        }
    }

    @Test func diffsAndRollbacks() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("flows")
            let owner = tenant.owner
            #expect(try await api.call(.post, "/api/v2/flows", as: owner, raw: Self.greeting("welcome", text: "Hello!")).status == 201)
            #expect(try await api.call(.post, "/api/v2/flows/welcome/versions", as: owner, json: ["message": "one"]).status == 201)
            let changed = #"{"id": "welcome", "start": "hello", "states": {"hello": {"type": "message", "text": "Hi!", "next": "bye"}, "bye": {"type": "end", "status": "greeted"}}}"#
            #expect(try await api.call(.put, "/api/v2/flows/welcome/draft", as: owner, raw: changed).status == 200)
            #expect(try await api.call(.post, "/api/v2/flows/welcome/versions", as: owner, json: ["message": "two"]).status == 201)

            let diff = try await api.call(.get, "/api/v2/flows/welcome/versions/2/diff", as: owner)
            #expect(diff.status == 200, "\(diff.text)")
            #expect(diff.json["againstVersion"] as? Int == 1 && diff.json["againstDraft"] as? Bool == false)
            #expect(diff.json["statesAdded"] as? [String] == ["bye"])
            #expect(diff.json["statesRemoved"] as? [String] == ["done"])
            #expect(diff.json["statesChanged"] as? [String] == ["hello"])
            let changes = diff.json["changes"] as? [[String: Any]] ?? []
            #expect(changes.contains { $0["pointer"] as? String == "/states/hello/text" && $0["from"] as? String == "Hello!" && $0["to"] as? String == "Hi!" })
            #expect(changes.contains { $0["op"] as? String == "removed" && $0["pointer"] as? String == "/name" })

            let first = try await api.call(.get, "/api/v2/flows/welcome/versions/1/diff", as: owner)
            #expect(first.json["againstVersion"] == nil && (first.json["statesAdded"] as? [String]) == ["hello", "done"])
            let backwards = try await api.call(.get, "/api/v2/flows/welcome/versions/1/diff?against=2", as: owner)
            #expect(backwards.json["statesAdded"] as? [String] == ["done"])
            let draft = try await api.call(.get, "/api/v2/flows/welcome/versions/2/diff?against=draft", as: owner)
            #expect(draft.json["againstDraft"] as? Bool == true && (draft.json["changes"] as? [Any])?.isEmpty == true)
            #expect(try await api.call(.get, "/api/v2/flows/welcome/versions/2/diff?against=9", as: owner).pointers == ["/against"])
            #expect(try await api.call(.get, "/api/v2/flows/welcome/versions/2/diff?against=x", as: owner).pointers == ["/against"])

            let editor = try await api.addMember(to: tenant, role: "editor")
            #expect(try await api.call(.post, "/api/v2/flows/welcome/rollback", as: .bearer(editor.token), json: ["version": 1]).status == 403)
            #expect(try await api.call(.post, "/api/v2/flows/welcome/rollback", as: owner, json: ["version": 2]).pointers == ["/version"])
            #expect(try await api.call(.post, "/api/v2/flows/welcome/rollback", as: owner, json: ["version": 7]).pointers == ["/version"])
            let rolled = try await api.call(.post, "/api/v2/flows/welcome/rollback", as: owner, json: ["version": 1])
            #expect(rolled.status == 200 && rolled.json["liveVersion"] as? Int == 1 && rolled.json["latestVersion"] as? Int == 2)
            let versions = try await api.call(.get, "/api/v2/flows/welcome/versions", as: owner)
            #expect(versions.items.compactMap { $0["live"] as? Bool } == [false, true])
            let audit = try await api.call(.get, "/api/v2/audit?action=flow.rolled_back", as: owner)
            #expect((audit.items.first?["summary"] as? [String: Any])?["to"] as? String == "1")
        }
    }

    @Test func experimentsSplitBetweenPublishedVersions() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("flows")
            let owner = tenant.owner
            #expect(try await api.call(.post, "/api/v2/flows", as: owner, raw: Self.greeting("welcome")).status == 201)
            for message in ["one", "two"] {
                #expect(try await api.call(.post, "/api/v2/flows/welcome/versions", as: owner, json: ["message": message]).status == 201)
            }
            let path = "/api/v2/flows/welcome/experiments"
            let oneArm = try await api.call(.post, path, as: owner, json: ["name": "ab", "arms": [["version": 1, "weight": 50]]])
            #expect(oneArm.status == 422 && oneArm.pointers == ["/arms"])
            let bad = try await api.call(
                .post, path, as: owner,
                json: ["name": "ab", "arms": [["version": 1, "weight": 0], ["version": 9, "weight": 5],
                                              ["version": 1, "weight": 10_001], ["version": 2, "weight": 1.5]]]
            )
            #expect(bad.status == 422)
            #expect(bad.pointers == ["/arms/0/weight", "/arms/1/version", "/arms/2/version", "/arms/2/weight", "/arms/3/weight"])
            let editor = try await api.addMember(to: tenant, role: "editor")
            let arms: [[String: Int]] = [["version": 1, "weight": 90], ["version": 2, "weight": 10]]
            #expect(try await api.call(.post, path, as: .bearer(editor.token), json: ["name": "ab", "arms": arms]).status == 403)

            let started = try await api.call(.post, path, as: owner, json: ["name": "friendlier greeting", "arms": arms])
            #expect(started.status == 201, "\(started.text)")
            let id = try #require(started.string("id"))
            #expect(started.string("status") == "running")
            #expect((started.json["arms"] as? [[String: Int]]) == arms)
            let again = try await api.call(.post, path, as: owner, json: ["name": "another", "arms": arms])
            #expect(again.status == 409)
            // Rolling back to 1 would leave the experiment sending conversations to 2.
            #expect(try await api.call(.post, "/api/v2/flows/welcome/rollback", as: owner, json: ["version": 1]).status == 409)
            #expect(try await api.call(.get, "/api/v2/flows/welcome", as: owner).string("runningExperimentId") == id)

            #expect(try await api.call(.post, "\(path)/\(UUID())/stop", as: owner).status == 404)
            let stopped = try await api.call(.post, "\(path)/\(id)/stop", as: owner)
            #expect(stopped.status == 200 && stopped.string("status") == "stopped" && stopped.string("stoppedAt") != nil)
            #expect(try await api.call(.post, "\(path)/\(id)/stop", as: owner).status == 409)
            #expect(try await api.call(.get, "/api/v2/flows/welcome", as: owner).json["runningExperimentId"] == nil)
            let next = try await api.call(.post, path, as: owner, json: ["name": "second try", "arms": arms])
            #expect(next.status == 201)
            let listed = try await api.call(.get, path, as: .bearer(editor.token))
            #expect(listed.items.compactMap { $0["status"] as? String } == ["running", "stopped"])
            let audit = try await api.call(.get, "/api/v2/audit?resourceType=flow_experiment", as: owner)
            #expect(audit.items.compactMap { $0["action"] as? String }
                == ["flow.experiment.started", "flow.experiment.stopped", "flow.experiment.started"])
        }
    }

    @Test func bindingsNameOnlyLiveFlowsAndDistinctKeywords() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("flows")
            let owner = tenant.owner
            for id in ["welcome", "orders", "draft-only"] {
                #expect(try await api.call(.post, "/api/v2/flows", as: owner, raw: Self.greeting(id)).status == 201)
            }
            for id in ["welcome", "orders"] {
                #expect(try await api.call(.post, "/api/v2/flows/\(id)/versions", as: owner, json: ["message": "go"]).status == 201)
            }
            let bad = try await api.call(
                .put, "/api/v2/flow-bindings/whatsapp-main", as: owner,
                json: ["entryFlow": "draft-only",
                       "triggers": [["keyword": "Order  Status ", "flow": "orders"], ["keyword": "help", "flow": "missing"],
                                    ["keyword": "order status", "flow": "welcome"], ["keyword": " ", "flow": "orders"],
                                    ["keyword": "?!", "flow": "orders"], ["keyword": "order status ?", "flow": "welcome"]]]
            )
            #expect(bad.status == 422)
            #expect(bad.pointers == ["/entryFlow", "/triggers/1/flow", "/triggers/2/keyword", "/triggers/3/keyword", "/triggers/4/keyword", "/triggers/5/keyword"])
            #expect(try await api.call(.get, "/api/v2/flow-bindings/whatsapp-main", as: owner).status == 404)

            let editor = try await api.addMember(to: tenant, role: "editor")
            let body: [String: any Sendable] = [
                "entryFlow": "welcome", "triggers": [["keyword": "  Order   STATUS", "flow": "orders"], ["keyword": "hi", "flow": "welcome"]],
            ]
            #expect(try await api.call(.put, "/api/v2/flow-bindings/whatsapp-main", as: .bearer(editor.token), json: body).status == 403)
            let set = try await api.call(.put, "/api/v2/flow-bindings/whatsapp-main", as: owner, json: body)
            #expect(set.status == 200, "\(set.text)")
            #expect(set.string("entryFlow") == "welcome")
            #expect((set.json["triggers"] as? [[String: String]]) == [["keyword": "order status", "flow": "orders"], ["keyword": "hi", "flow": "welcome"]])
            let onlyTriggers = try await api.call(.put, "/api/v2/flow-bindings/web", as: owner,
                                                  json: ["triggers": [["keyword": "orders", "flow": "orders"]]])
            #expect(onlyTriggers.status == 200 && onlyTriggers.json["entryFlow"] == nil)
            let list = try await api.call(.get, "/api/v2/flow-bindings", as: .bearer(editor.token))
            #expect(list.items.compactMap { $0["channel"] as? String } == ["web", "whatsapp-main"])
            #expect(try await api.call(.get, "/api/v2/flow-bindings/whatsapp-main", as: .bearer(editor.token)).string("entryFlow") == "welcome")
            #expect(try await api.call(.get, "/api/v2/flow-bindings/Not%20A%20Key", as: owner).status == 404)
            #expect(try await api.call(.delete, "/api/v2/flow-bindings/web", as: owner).status == 204)
            #expect(try await api.call(.delete, "/api/v2/flow-bindings/web", as: owner).status == 404)
            let audit = try await api.call(.get, "/api/v2/audit?resourceType=flow_binding", as: owner)
            #expect(audit.items.compactMap { $0["action"] as? String } == ["flow.binding.updated", "flow.binding.updated", "flow.binding.deleted"])
        }
    }

    @Test func simulatingADraftWithCannedResults() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("flows")
            let editor = Credential.bearer(try await api.addMember(to: tenant, role: "editor").token)
            #expect(try await api.call(.post, "/api/v2/flows", as: editor, raw: Self.orderStatus).status == 201)
            // The draft calls `helper` version 1, which does not exist yet.
            let early = try await api.call(.post, "/api/v2/flows/order-status/simulate", as: editor, json: ["script": [["say": "123456"]]])
            #expect(early.status == 422 && early.pointers == ["/states/helper/flow"])
            #expect(try await api.call(.post, "/api/v2/flows", as: editor, raw: Self.greeting("helper", text: "Anything else?")).status == 201)
            #expect(try await api.call(.post, "/api/v2/flows/helper/versions", as: tenant.owner, json: ["message": "v1"]).status == 201)

            let run = try await api.call(
                .post, "/api/v2/flows/order-status/simulate", as: editor,
                raw: #"{"script": [{"say": "12"}, {"say": "123456"}], "results": {"lookup": [{"success": {"status": "shipped", "items": 2}}]}, "contact": {"firstName": "Ann"}}"#
            )
            #expect(run.status == 200, "\(run.text)")
            let transcript = run.json["transcript"] as? [[String: Any]] ?? []
            #expect(transcript.filter { $0["from"] as? String == "bot" }.compactMap { $0["text"] as? String }
                == ["Your order number?", "Your order number?", "Order 123456 is shipped.", "Anything else?"])
            #expect(transcript.contains { ($0["text"] as? String)?.contains("orders-api") == true })
            #expect(run.string("ended") == "completed")
            let variables = run.json["variables"] as? [String: Any] ?? [:]
            #expect(variables["order_number"] as? String == "123456")
            #expect((variables["order"] as? [String: Any])?["status"] as? String == "shipped")
            #expect((run.json["statesVisited"] as? [[String: String]])?.contains(["flow": "helper", "state": "hello"]) == true)

            let failing = try await api.call(
                .post, "/api/v2/flows/order-status/simulate", as: editor,
                raw: #"{"script": [{"say": "123456"}], "results": {"lookup": [{"failure": {"code": "http-503", "message": "down", "retryable": false}}]}}"#
            )
            #expect(failing.status == 200, "\(failing.text)")
            let lines = (failing.json["transcript"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
            #expect(lines.contains("Sorry, the order system is down (http-503)."))

            let bad = try await api.call(
                .post, "/api/v2/flows/order-status/simulate", as: editor,
                raw: #"{"script": [{"say": "a", "tap": "b"}, {"wait": -1}, {"timeout": true}, {"dance": 1}], "results": {"lookup": [{"success": 1, "failure": 2}, {"failure": {"message": "no code"}}]}, "version": 5}"#
            )
            #expect(bad.status == 422)
            #expect(bad.pointers == ["/script/0", "/script/1/wait", "/script/3", "/script/3/dance",
                                     "/results/lookup/0", "/results/lookup/1/failure/code"])
            let noVersion = try await api.call(.post, "/api/v2/flows/order-status/simulate", as: editor,
                                               raw: #"{"script": [], "version": 5}"#)
            #expect(noVersion.status == 422 && noVersion.pointers == ["/version"])
            let viewer = try await api.addMember(to: tenant, role: "viewer")
            #expect(try await api.call(.post, "/api/v2/flows/order-status/simulate", as: .bearer(viewer.token),
                                       raw: #"{"script": []}"#).status == 403)
        }
    }

    @Test func anotherTenantSeesNoneOfIt() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("flows")
            let owner = tenant.owner
            #expect(try await api.call(.post, "/api/v2/flows", as: owner, raw: Self.greeting("welcome")).status == 201)
            #expect(try await api.call(.post, "/api/v2/flows/welcome/versions", as: owner, json: ["message": "one"]).status == 201)
            #expect(try await api.call(.put, "/api/v2/flow-bindings/web", as: owner, json: ["entryFlow": "welcome"]).status == 200)

            let other = try await api.createTenant("flows")
            #expect(try await api.call(.get, "/api/v2/flows", as: other.owner).items.isEmpty)
            #expect(try await api.call(.get, "/api/v2/flow-bindings", as: other.owner).items.isEmpty)
            #expect(try await api.call(.get, "/api/v2/flows/welcome", as: other.owner).status == 404)
            #expect(try await api.call(.get, "/api/v2/flows/welcome/versions/1", as: other.owner).status == 404)
            #expect(try await api.call(.get, "/api/v2/flow-bindings/web", as: other.owner).status == 404)
            // The other tenant has its own namespace: the same id is free there, and cannot bind the first one's flow.
            let bind = try await api.call(.put, "/api/v2/flow-bindings/web", as: other.owner, json: ["entryFlow": "welcome"])
            #expect(bind.status == 422 && bind.pointers == ["/entryFlow"])
            #expect(try await api.call(.post, "/api/v2/flows", as: other.owner, raw: Self.greeting("welcome")).status == 201)
            #expect(try await api.call(.get, "/api/v2/flows/welcome/versions", as: other.owner).items.isEmpty)
            #expect(try await api.call(.get, "/api/v2/flows/welcome", as: owner).json["latestVersion"] as? Int == 1)
        }
    }
}
