import Foundation
import HTTPTypes
import Testing

@Suite struct PIIAPITests {
    @Test func recognizersAreValidatedBeforeSavingAndUsedByAnalyze() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("pii")
            let bad = try await api.call(
                .post, "/api/v2/pii/recognizers", as: tenant.owner,
                json: ["name": "ids", "entity": "Employee ID", "patterns": [#"EMP-\d{6}"#, "(a|b", "x*"],
                       "contextRequired": true, "score": 3]
            )
            #expect(bad.status == 422)
            #expect(bad.pointers == ["/entity", "/patterns/1", "/patterns/2", "/contextRequired", "/score"])
            #expect(bad.text.contains("at character"))
            #expect(try await api.call(.get, "/api/v2/pii/recognizers", as: tenant.owner).items.isEmpty)

            let created = try await api.call(
                .post, "/api/v2/pii/recognizers", as: tenant.owner,
                json: ["name": "employee ids", "entity": "employee_id", "patterns": [#"EMP-\d{6}"#],
                       "denyList": ["Project Falcon"], "contextWords": ["employee"]]
            )
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.string("id"))
            let duplicate = try await api.call(.post, "/api/v2/pii/recognizers", as: tenant.owner,
                                               json: ["name": "employee ids", "entity": "other", "denyList": ["x"]])
            #expect(duplicate.status == 409)

            let analysis = try await api.call(
                .post, "/api/v2/pii/analyze", as: tenant.owner,
                json: ["text": "Grüße: employee EMP-123456 on Project Falcon, mail ann@example.com"]
            )
            #expect(analysis.status == 200)
            let entities = try #require(analysis.json["entities"] as? [[String: Any]])
            #expect(entities.map { $0["entity"] as? String } == ["employee_id", "employee_id", "email"])
            #expect(entities.first?["start"] as? Int == 16 && entities.first?["end"] as? Int == 26)
            #expect(analysis.string("masked") == "Grüße: employee [EMPLOYEE_ID] on [EMPLOYEE_ID], mail [EMAIL]")

            let replaced = try await api.call(.put, "/api/v2/pii/recognizers/\(id)", as: tenant.owner,
                                              json: ["name": "employee ids", "entity": "employee_id", "patterns": [#"E-\d{4}"#]])
            #expect(replaced.status == 200 && (replaced.json["patterns"] as? [String]) == [#"E-\d{4}"#])
            #expect(try await api.call(.delete, "/api/v2/pii/recognizers/\(id)", as: tenant.owner).status == 204)
            #expect(try await api.call(.get, "/api/v2/pii/recognizers/\(id)", as: tenant.owner).status == 404)
            let audit = try await api.call(.get, "/api/v2/audit?resourceType=pii_recognizer", as: tenant.owner)
            #expect(audit.items.compactMap { $0["action"] as? String }
                == ["pii.recognizer.created", "pii.recognizer.updated", "pii.recognizer.deleted"])
        }
    }

    @Test func policyOperatorsAndUnmaskNeedingItsOwnPermission() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("pii")
            let badPolicy = try await api.call(.put, "/api/v2/pii/policy", as: tenant.owner,
                                               json: ["operators": ["email": ["type": "shred"]], "disabledEntities": ["nope"]])
            #expect(badPolicy.status == 422 && badPolicy.pointers == ["/operators/email/type", "/disabledEntities/0"])
            let policy = try await api.call(
                .put, "/api/v2/pii/policy", as: tenant.owner,
                json: ["operators": ["email": ["type": "encrypt"], "credit_card": ["type": "partial", "keep": 4] as [String: any Sendable],
                                     "phone": ["type": "hash"]] as [String: any Sendable],
                       "allowList": ["help@acme.example"], "maskBeforeModels": true]
            )
            #expect(policy.status == 200, "\(policy.text)")
            #expect(try await api.call(.get, "/api/v2/pii/policy", as: tenant.owner).json["maskBeforeModels"] as? Bool == true)
            let text = "ann@example.com paid with 4111 1111 1111 1111, call +44 20 7946 0958 or help@acme.example"
            let masked = try #require(try await api.call(.post, "/api/v2/pii/analyze", as: tenant.owner,
                                                         json: ["text": text]).string("masked"))
            #expect(masked.hasPrefix("[EMAIL#") && masked.contains("****1111") && masked.contains("[PHONE:"))
            #expect(masked.hasSuffix("or help@acme.example") && !masked.contains("ann@example.com"))

            // Editors may analyze but not unmask; the owner may.
            let editor = try await api.addMember(to: tenant, role: "editor")
            #expect(try await api.call(.post, "/api/v2/pii/analyze", as: .bearer(editor.token), json: ["text": "x"]).status == 200)
            #expect(try await api.call(.post, "/api/v2/pii/unmask", as: .bearer(editor.token), json: ["text": masked]).status == 403)
            let unmasked = try await api.call(.post, "/api/v2/pii/unmask", as: tenant.owner, json: ["text": masked])
            #expect(unmasked.string("text")?.hasPrefix("ann@example.com paid with ****1111") == true)
            // Another tenant's key cannot undo this tenant's masking.
            let other = try await api.createTenant("pii")
            let elsewhere = try await api.call(.post, "/api/v2/pii/unmask", as: other.owner, json: ["text": masked])
            #expect(elsewhere.string("text") == masked)
        }
    }
}
