#!/usr/bin/env python3
"""Score Microsoft Presidio (regex-only configuration) on the frozen PII set.

Reads Tests/Fixtures/pii/sentences.jsonl, runs Presidio's AnalyzerEngine with
its default predefined recognizers on every sentence and writes
Tests/Fixtures/pii/presidio-baseline.json, then prints a markdown table.

"Regex-only" means the spaCy pipeline behind Presidio is a blank English one
(tokenizer only): no NER, no lemmas. Pattern recognizers run as usual; the
spaCy NER recognizer finds nothing, and context words cannot raise scores
because context matching works on lemmas. No model download is needed.

Scoring rule (the Swift side implements the same one):
  * only the scored entities below count;
  * per sentence and entity E, predictions of E are taken in order of start
    (then end); a prediction is a true positive if it overlaps
    (p.start < g.end and g.start < p.end) a gold span of E not matched yet
    (the first such gold span in order of start); otherwise a false positive;
  * gold spans of E left unmatched are false negatives;
  * precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = harmonic mean, 0 when
    undefined;
  * "exact" counts use the same greedy pass but also require identical start
    and end.
Offsets are UTF-8 byte offsets, end exclusive.

Run from the repository root:

    python scripts/pii/presidio_baseline.py
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import spacy  # noqa: E402
import tldextract  # noqa: E402
import tldextract.tldextract  # noqa: E402
from presidio_analyzer import AnalyzerEngine  # noqa: E402
from presidio_analyzer.nlp_engine import NlpEngineProvider  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "Tests" / "Fixtures" / "pii"

SCORED = ["email", "phone", "credit_card", "iban", "ip_address", "us_ssn", "date_of_birth"]
PRESIDIO_TO_OURS = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "credit_card",
    "IBAN_CODE": "iban",
    "IP_ADDRESS": "ip_address",
    "US_SSN": "us_ssn",
    "DATE_TIME": "date_of_birth",
}


def build_analyzer(model_dir: str) -> AnalyzerEngine:
    # Presidio's e-mail recognizer validates domains with tldextract, whose
    # default extractor fetches the public suffix list over HTTP on first use.
    # Use the snapshot bundled with the package instead (offline, and the same
    # answer on every machine).
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True
    )

    spacy.blank("en").to_disk(model_dir)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": model_dir}],
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


def char_to_byte_offsets(text: str):
    """Table mapping every character offset (0..len) to its UTF-8 byte offset."""
    table = [0] * (len(text) + 1)
    pos = 0
    for i, ch in enumerate(text):
        table[i] = pos
        pos += len(ch.encode("utf-8"))
    table[len(text)] = pos
    return table


def predict(analyzer: AnalyzerEngine, text: str) -> list[dict]:
    results = analyzer.analyze(text=text, language="en")
    offsets = char_to_byte_offsets(text)
    preds = []
    for r in results:
        ours = PRESIDIO_TO_OURS.get(r.entity_type)
        if ours is None:
            continue
        preds.append({"entity": ours, "start": offsets[r.start], "end": offsets[r.end],
                      "score": r.score, "presidio": r.entity_type})
    return preds


def greedy_match(preds: list[dict], golds: list[dict], exact: bool) -> int:
    """Number of true positives for one sentence and one entity."""
    golds = sorted(golds, key=lambda g: (g["start"], g["end"]))
    matched = [False] * len(golds)
    tp = 0
    for p in sorted(preds, key=lambda p: (p["start"], p["end"])):
        for i, g in enumerate(golds):
            if matched[i]:
                continue
            if exact:
                hit = p["start"] == g["start"] and p["end"] == g["end"]
            else:
                hit = p["start"] < g["end"] and g["start"] < p["end"]
            if hit:
                matched[i] = True
                tp += 1
                break
    return tp


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(sentences: list[dict], predictions: list[list[dict]]) -> dict:
    counts = {e: {"gold": 0, "pred": 0, "tp": 0, "exact_tp": 0} for e in SCORED}
    for sent, preds in zip(sentences, predictions):
        for e in SCORED:
            g = [s for s in sent["spans"] if s["entity"] == e]
            p = [s for s in preds if s["entity"] == e]
            c = counts[e]
            c["gold"] += len(g)
            c["pred"] += len(p)
            c["tp"] += greedy_match(p, g, exact=False)
            c["exact_tp"] += greedy_match(p, g, exact=True)

    out = {}
    totals = {"tp": 0, "fp": 0, "fn": 0, "exact_tp": 0, "exact_fp": 0, "exact_fn": 0}
    for e in SCORED:
        c = counts[e]
        tp, fp, fn = c["tp"], c["pred"] - c["tp"], c["gold"] - c["tp"]
        etp, efp, efn = c["exact_tp"], c["pred"] - c["exact_tp"], c["gold"] - c["exact_tp"]
        p, r, f = prf(tp, fp, fn)
        ep, er, ef = prf(etp, efp, efn)
        out[e] = {
            "gold": c["gold"], "predicted": c["pred"],
            "tp": tp, "fp": fp, "fn": fn,
            "precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "exact_tp": etp, "exact_fp": efp, "exact_fn": efn,
            "exact_precision": round(ep, 4), "exact_recall": round(er, 4), "exact_f1": round(ef, 4),
        }
        for k, v in (("tp", tp), ("fp", fp), ("fn", fn),
                     ("exact_tp", etp), ("exact_fp", efp), ("exact_fn", efn)):
            totals[k] += v
    p, r, f = prf(totals["tp"], totals["fp"], totals["fn"])
    ep, er, ef = prf(totals["exact_tp"], totals["exact_fp"], totals["exact_fn"])
    micro = dict(totals, precision=round(p, 4), recall=round(r, 4), f1=round(f, 4),
                 exact_precision=round(ep, 4), exact_recall=round(er, 4), exact_f1=round(ef, 4))
    return {"entities": out, "micro": micro}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    ap = argparse.ArgumentParser(description="Presidio regex-only baseline on the PII fixture set")
    ap.add_argument("--in", dest="inp", type=Path, default=FIXTURES / "sentences.jsonl")
    ap.add_argument("--out", type=Path, default=FIXTURES / "presidio-baseline.json")
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args()

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

    sentences = [json.loads(line) for line in args.inp.read_text(encoding="utf-8").splitlines() if line]
    texts = [s["text"] for s in sentences]
    total_bytes = sum(len(t.encode("utf-8")) for t in texts)

    with tempfile.TemporaryDirectory(prefix="blank-en-") as model_dir:
        analyzer = build_analyzer(model_dir)
        recognizers = sorted(r.name for r in analyzer.registry.get_recognizers("en", all_fields=True))

        # Warm-up pass; its output is what gets scored (analysis is deterministic).
        predictions = [predict(analyzer, t) for t in texts]

        load_before = os.getloadavg()[0]
        passes = []
        for _ in range(args.passes):
            t0 = time.perf_counter()
            for t in texts:
                analyzer.analyze(text=t, language="en")
            passes.append(time.perf_counter() - t0)

    median = statistics.median(passes)
    result = score(sentences, predictions)
    report = {
        "presidio_version": version("presidio-analyzer"),
        "config": "regex-only, blank spaCy en",
        "config_details": {
            "spacy_pipeline": f"spacy.blank('en') saved with nlp.to_disk (spaCy {spacy.__version__}); no NER, no lemmas",
            "recognizers": recognizers,
            "score_threshold": 0.0,
            "language": "en",
            "entity_mapping": PRESIDIO_TO_OURS,
            "note": "all predefined recognizers for 'en' at their default settings; every result "
                    "counts whatever its score; context enhancement is inert without lemmas; "
                    "tldextract uses its bundled public suffix snapshot",
        },
        "dataset": {
            "file": str(args.inp.relative_to(REPO_ROOT)) if args.inp.is_relative_to(REPO_ROOT) else str(args.inp),
            "sentences": len(texts),
            "utf8_bytes": total_bytes,
        },
        "scoring": "overlap match, greedy by prediction start, same entity; exact_* also require "
                   "identical UTF-8 byte start and end",
        "entities": result["entities"],
        "micro": result["micro"],
        "throughput": {
            "bytes_per_second": round(total_bytes / median, 1),
            "sentences_per_second": round(len(texts) / median, 1),
            "passes_seconds": [round(p, 4) for p in passes],
            "median_seconds": round(median, 4),
            "method": "one warm-up pass, then the median of timed passes of AnalyzerEngine.analyze "
                      "over every sentence, one call per sentence, single thread",
        },
        "machine_note": (
            f"{cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, presidio-analyzer {version('presidio-analyzer')}, "
            f"phonenumbers {version('phonenumbers')}; 1-minute load average {load_before:.2f} before "
            f"the timed passes (other work on the machine slows them down)"
        ),
    }
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    print(f"Presidio {report['presidio_version']} ({report['config']}) on {len(texts)} sentences, "
          f"{total_bytes} bytes\n")
    print("| entity | gold | pred | TP | FP | FN | precision | recall | F1 | exact TP | exact F1 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = list(result["entities"].items()) + [("**micro**", dict(
        result["micro"], gold=result["micro"]["tp"] + result["micro"]["fn"],
        predicted=result["micro"]["tp"] + result["micro"]["fp"]))]
    for e, m in rows:
        print(f"| {e} | {m['gold']} | {m['predicted']} | {m['tp']} | {m['fp']} | {m['fn']} | "
              f"{m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['exact_tp']} | "
              f"{m['exact_f1']:.3f} |")
    tp = report["throughput"]
    print(f"\nthroughput: {tp['bytes_per_second']:,.0f} bytes/s, {tp['sentences_per_second']:,.1f} "
          f"sentences/s (passes {tp['passes_seconds']} s)")
    print(f"machine: {report['machine_note']}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
