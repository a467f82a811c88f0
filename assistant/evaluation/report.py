"""Evaluation results as JSON and Markdown under RAG_DATA_DIR/eval/ (timestamped + latest-*)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.evaluation.retrieval import FUSION_VARIANTS, METRICS, MODES


def _row(cells: list[Any]) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def retrieval_markdown(payload: dict[str, Any]) -> str:
    """Tables: one per (set, model) with the three modes, plus fusion variants and timings."""
    lines = [f"# Retrieval evaluation — {payload['date']}", "", f"`{payload['command']}`", ""]
    machine = payload.get("machine") or {}
    if machine:
        lines += [f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores.", ""]
    lines += [
        "Document-level metrics (hits deduplicated by document), binary relevance.",
        f"Chunking: ~150 words per chunk, first {payload['max_chunks'] or 'all'} chunks per page.",
        "",
    ]
    lines += _summary(payload["results"])
    for result in payload["results"]:
        verdict = result["hybrid_vs_best_single"]
        lines += [
            f"## {result['set']} ({_languages(result)}) — {result['model']}",
            "",
            f"{result['queries']} queries, {result['documents']} documents, "
            f"{result['chunks']} chunks; indexed in {result['index_seconds']} s "
            f"({result['chunks_per_second']} chunks/s); query embedding p50 "
            f"{result['query_embed']['p50_ms']} ms.",
            "",
            _row(["mode", *METRICS, "search p50 ms", "search p95 ms"]),
            _row(["---"] * (len(METRICS) + 3)),
        ]
        for mode in MODES:
            scores = result["modes"][mode]
            latency = result["search_latency"][mode]
            lines.append(
                _row(
                    [
                        mode,
                        *(f"{scores[m]:.3f}" for m in METRICS),
                        latency["p50_ms"],
                        latency["p95_ms"],
                    ]
                )
            )
        status = "yes" if verdict["ok"] else "**no**"
        deltas = ", ".join(f"{m} {verdict[m]:+.3f}" for m in METRICS)
        lines += ["", f"Hybrid at least as good as the best single mode: {status} ({deltas}).", ""]
        lines += [
            "Fusion variants (client-side RRF over the same dense and sparse prefetches):",
            "",
            _row(["fusion", *METRICS]),
            _row(["---"] * (len(METRICS) + 1)),
        ]
        for name, _, _ in FUSION_VARIANTS:
            scores = result["fusion_variants"][name]
            lines.append(_row([name, *(f"{scores[m]:.3f}" for m in METRICS)]))
        lines += [
            "",
            f"Same top-10 documents from the store's hybrid and client RRF k=2: "
            f"{result['store_fusion_agreement']:.0%} of queries.",
            "",
        ]
    return "\n".join(lines)


def _languages(result: dict[str, Any]) -> str:
    asked = result.get("question_language") or result["language"]
    return result["language"] if asked == result["language"] else f"{asked} → {result['language']}"


def _summary(results: list[dict[str, Any]]) -> list[str]:
    """One line per (set, model): the served hybrid against the plain BM25 baseline (the sparse
    mode: BM25-style term weights with Qdrant's IDF, no threshold), and indexing throughput."""
    lines = [
        "## Summary",
        "",
        _row(["set", "model", "hybrid nDCG@10", "BM25 nDCG@10", "hybrid recall@5",
              "BM25 recall@5", "hybrid ≥ BM25", "false refusals (min score)", "chunks/s"]),
        _row(["---"] * 9),
    ]  # fmt: skip
    for result in results:
        hybrid, sparse = result["modes"]["hybrid"], result["modes"]["sparse"]
        beats = all(hybrid[m] >= sparse[m] for m in ("ndcg@10", "recall@5"))
        lines.append(
            _row(
                [
                    result["set"],
                    result["model"],
                    f"{hybrid['ndcg@10']:.3f}",
                    f"{sparse['ndcg@10']:.3f}",
                    f"{hybrid['recall@5']:.3f}",
                    f"{sparse['recall@5']:.3f}",
                    "yes" if beats else "**no**",
                    f"{result.get('false_refusals', 0):.3f} ({result.get('min_score', '?')})",
                    result["chunks_per_second"],
                ]
            )
        )
    return [*lines, ""]


def write_report(payload: dict[str, Any], eval_dir: Path, *, kind: str) -> tuple[Path, Path]:
    """Write `<kind>-<UTC stamp>.json/.md` and overwrite `latest-<kind>.json/.md`."""
    eval_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path = eval_dir / f"{kind}-{stamp}.json"
    md_path = eval_dir / f"{kind}-{stamp}.md"
    text = json.dumps(payload, indent=2, default=str)
    markdown = retrieval_markdown(payload) if kind == "retrieval" else payload.get("markdown", "")
    json_path.write_text(text)
    md_path.write_text(markdown)
    (eval_dir / f"latest-{kind}.json").write_text(text)
    (eval_dir / f"latest-{kind}.md").write_text(markdown)
    return json_path, md_path
