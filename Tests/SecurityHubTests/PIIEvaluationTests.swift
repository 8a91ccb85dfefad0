import Foundation
import SecurityHub
import Testing

/// The detector on the frozen labelled set in `Tests/Fixtures/pii/` (see its README), scored exactly as
/// `scripts/pii/presidio_baseline.py` scores Presidio, and compared with Presidio's frozen numbers.
@Suite struct PIIEvaluationTests {
    struct Sentence: Decodable {
        struct Span: Decodable {
            var entity: String
            var start: Int
            var end: Int
        }
        var id: Int
        var text: String
        var spans: [Span]
    }

    struct Counts {
        var gold = 0, tp = 0, fp = 0, fn = 0
        var precision: Double { tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp) }
        var recall: Double { tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn) }
        var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/pii")

    static func sentences() throws -> [Sentence] {
        let text = try String(contentsOf: fixtures.appendingPathComponent("sentences.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Sentence.self, from: Data($0.utf8)) }
    }

    /// Overlap matching, greedy by prediction start, same entity: the rule of the Presidio script.
    static func score(_ sentences: [Sentence], detector: PIIDetector) -> (counts: [String: Counts], misses: [String]) {
        let scored = Set(PIIEntity.builtIn.map(\.rawValue))
        var counts: [String: Counts] = [:]
        var misses: [String] = []
        for sentence in sentences {
            var gold = sentence.spans.filter { scored.contains($0.entity) }.map { ($0, false) }
            for span in gold.map(\.0) { counts[span.entity, default: Counts()].gold += 1 }
            for match in detector.detect(sentence.text) where scored.contains(match.entity.rawValue) {
                let entity = match.entity.rawValue
                if let index = gold.firstIndex(where: { span, used in
                    !used && span.entity == entity && match.range.lowerBound < span.end && span.start < match.range.upperBound
                }) {
                    gold[index].1 = true
                    counts[entity, default: Counts()].tp += 1
                } else {
                    counts[entity, default: Counts()].fp += 1
                    let value = String(decoding: Array(sentence.text.utf8)[match.range], as: UTF8.self)
                    misses.append("FP \(entity) \(sentence.id) «\(value)» in: \(sentence.text)")
                }
            }
            for (span, used) in gold where !used {
                counts[span.entity, default: Counts()].fn += 1
                let value = String(decoding: Array(sentence.text.utf8)[span.start..<span.end], as: UTF8.self)
                misses.append("FN \(span.entity) \(sentence.id) «\(value)» in: \(sentence.text)")
            }
        }
        return (counts, misses)
    }

    @Test func f1AtLeastPresidiosOnEveryEntityAndRecallAboveNinetyFivePercentOnPhonesAndCards() throws {
        let sentences = try Self.sentences()
        #expect(sentences.count >= 2000)
        let baseline = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("presidio-baseline.json")))
                as? [String: Any]
        )
        let presidio = try #require(baseline["entities"] as? [String: [String: Any]])
        let (counts, misses) = Self.score(sentences, detector: PIIDetector())
        var table = "| entity | gold | Chorus P | Chorus R | Chorus F1 | Presidio P | Presidio R | Presidio F1 |\n|---|---|---|---|---|---|---|---|\n"
        for entity in PIIEntity.builtIn.map(\.rawValue) {
            let ours = counts[entity] ?? Counts()
            let theirs = presidio[entity] ?? [:]
            let theirF1 = theirs["f1"] as? Double ?? 0
            table += "| \(entity) | \(ours.gold) | \(String(format: "%.3f", ours.precision)) | \(String(format: "%.3f", ours.recall)) | "
                + "\(String(format: "%.3f", ours.f1)) | \(String(format: "%.3f", theirs["precision"] as? Double ?? 0)) | "
                + "\(String(format: "%.3f", theirs["recall"] as? Double ?? 0)) | \(String(format: "%.3f", theirF1)) |\n"
            #expect(ours.f1 >= theirF1 - 1e-9, "\(entity): F1 \(ours.f1) below Presidio's \(theirF1)")
        }
        print(table)
        if ProcessInfo.processInfo.environment["CHORUS_PII_MISSES"] != nil { print(misses.joined(separator: "\n")) }
        #expect((counts["phone"]?.recall ?? 0) > 0.95)
        #expect((counts["credit_card"]?.recall ?? 0) > 0.95)
    }
}
