import Benchmark
import Crypto
import Foundation
import SecurityHub

/// Chat-like text: mostly ordinary words, with the occasional email, phone, card, IBAN and date, as in a
/// support conversation. About 1 MiB, built deterministically.
let corpus: String = {
    let plain = [
        "Hi, I ordered the blue jacket last week and it has not arrived yet.",
        "Could you check the status of order 48213 for me please?",
        "Thanks for waiting, the courier says it will be delivered tomorrow before noon.",
        "I would also like to change the delivery address to my office if that is possible.",
        "Sure, what is the new address and a phone number the courier can use?",
        "The meeting is on 12 March 2026 at 10:30 in room 1234, version 1.2.3 of the app.",
    ]
    let personal = [
        "You can reach me at ann.lee@example.com or on +44 20 7946 0958.",
        "My card is 4111 1111 1111 1111 and the IBAN is DE89 3704 0044 0532 0130 00.",
        "I was born on 12 March 1985, my SSN is 536-22-8726, server 192.168.1.20.",
    ]
    var lines: [String] = []
    var size = 0
    var index = 0
    while size < 1 << 20 {
        let line = index % 7 == 6 ? personal[(index / 7) % personal.count] : plain[index % plain.count]
        lines.append(line)
        size += line.utf8.count + 1
        index += 1
    }
    return lines.joined(separator: "\n")
}()

/// The labelled evaluation set (`Tests/Fixtures/pii/sentences.jsonl`), one sentence per detector call, as
/// Presidio's throughput on it is measured.
let evaluationSentences: [String] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/pii/sentences.jsonl")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["text"] as? String
    }
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(5), maxIterations: 200)
    let bytes = corpus.utf8.count

    Benchmark("detect all entities, 1 MiB of chat text", configuration: .init(scalingFactor: .one)) { benchmark in
        let detector = PIIDetector()
        for _ in benchmark.scaledIterations {
            blackHole(detector.detect(corpus))
        }
        _ = bytes
    }

    Benchmark("detect all entities, evaluation set (one call per sentence)") { benchmark in
        let detector = PIIDetector()
        precondition(evaluationSentences.count >= 2000, "Tests/Fixtures/pii/sentences.jsonl not found")
        for _ in benchmark.scaledIterations {
            for sentence in evaluationSentences { blackHole(detector.detect(sentence)) }
        }
    }

    Benchmark("mask (redact) all entities, 1 MiB of chat text") { benchmark in
        let masker = PIIMasker(tenantKey: SymmetricKey(size: .bits256))
        for _ in benchmark.scaledIterations {
            blackHole(masker.mask(corpus))
        }
    }
}
