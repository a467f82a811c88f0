"""`manage.py evaluate`: retrieval on a small slice of the real Debian corpora (installed by CI:
`make corpora`), retrieval on a tiny set whose answers are known, and answer aggregates."""

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from assistant.chat.models import Conversation, Exchange
from assistant.evaluation import debian_faq, manpages, pydocs
from assistant.evaluation.dataset import EvalDocument, EvalQuery, EvalSet
from assistant.evaluation.retrieval import MODES, run_retrieval_evaluation


def _corpora_installed() -> bool:
    try:
        pydocs.find_docs_dir()
    except FileNotFoundError:
        return False
    # /usr/share/man/fr exists without manpages-fr (man-db, apt, ... ship a few French pages).
    faq = all((debian_faq.FAQ_DIR / name).is_file() for name in debian_faq.FILES.values())
    return faq and any(manpages.DEFAULT_DIR.glob("man7/signal.7*"))


needs_corpora = pytest.mark.skipif(
    not _corpora_installed(),
    reason="Debian corpora missing: make corpora (manpages-fr, python3.11-doc, debian-faq, …)",
)


def _default_embedder():
    from assistant.backends.embedder import get_embedder

    return get_embedder()


def test_known_answers_score_perfectly_in_every_mode():
    texts = {
        1: "The kettle boils water for tea. Pour the boiling water over the tea leaves and wait.",
        2: "A bicycle has two wheels, pedals and a chain. Riders pump the tyres before a ride.",
        3: "Photosynthesis lets plants turn sunlight, water and carbon dioxide into sugar.",
    }
    docs = [EvalDocument(i, f"d{i}", text) for i, text in texts.items()]
    queries = [
        EvalQuery("q1", "how to make tea with boiling water", frozenset({1})),
        EvalQuery("q2", "bicycle tyres and pedals", frozenset({2})),
        EvalQuery("q3", "how plants use sunlight", frozenset({3})),
    ]
    eval_set = EvalSet("tiny", "en", "memory", docs, queries)

    [result] = run_retrieval_evaluation([eval_set], [_default_embedder], max_chunks=2)

    assert result["chunks"] == 3 and result["queries"] == 3
    for mode in MODES:
        assert result["modes"][mode]["mrr@10"] == 1.0, mode
        assert result["modes"][mode]["recall@5"] == 1.0, mode
    assert result["hybrid_vs_best_single"]["ok"] is True
    assert result["store_fusion_agreement"] == 1.0


@needs_corpora
def test_evaluate_retrieval_on_a_small_slice_of_the_real_corpora(settings):
    out = StringIO()
    # --models with the configured folder again: covers the several-models path at no extra
    # download (any sentence-transformers folder works the same way).
    call_command(
        "evaluate", "retrieval", "--limit", "6", "--max-chunks", "2", "--json",
        "--models", str(settings.RAG_EMBED_MODEL), stdout=out,
    )  # fmt: skip
    payload = json.loads(out.getvalue())
    sets = [
        "manpages-fr", "python-docs", "manpages-fr>en", "manpages-en>fr",
        "debian-faq-fr", "debian-faq-en", "debian-faq-fr>en", "debian-faq-en>fr",
    ]  # fmt: skip
    assert [r["set"] for r in payload["results"]] == sets * 2
    for result in payload["results"]:
        assert result["queries"] == 6
        assert result["documents"] >= 12  # relevant pages plus as many distractors
        for mode in MODES:
            scores = result["modes"][mode]
            assert set(scores) == {"recall@5", "mrr@10", "ndcg@10", "queries"}
            assert all(0.0 <= scores[m] <= 1.0 for m in ("recall@5", "mrr@10", "ndcg@10"))
        assert 0.0 <= result["false_refusals"] <= 1.0
        if result["question_language"] == result["language"] and "manpages" in result["set"]:
            # A query is its page's own description: lexical search must find most of them.
            assert result["modes"]["sparse"]["recall@5"] >= 0.5
    # Same model, same chunks: the second pass reproduces the first.
    assert payload["results"][len(sets)]["modes"] == payload["results"][0]["modes"]
    eval_dir = Path(settings.DATA_DIR) / "eval"
    assert json.loads((eval_dir / "latest-retrieval.json").read_text())["results"]
    markdown = (eval_dir / "latest-retrieval.md").read_text()
    assert "| hybrid |" in markdown and "manpages-fr" in markdown and "python-docs" in markdown


def test_evaluate_retrieval_rejects_bad_options(tmp_path):
    with pytest.raises(CommandError, match="model folder"):
        call_command("evaluate", "retrieval", "--models", str(tmp_path))
    with pytest.raises(CommandError, match="manpages-fr"):
        call_command("evaluate", "retrieval", "--lang", "fr", "--manpages-dir", str(tmp_path))
    with pytest.raises(CommandError, match="0 or more"):
        call_command("evaluate", "retrieval", "--limit", "-1")


@pytest.mark.django_db
def test_evaluate_answers_prints_aggregates_since_a_date(alice, settings):
    conversation = Conversation.objects.create(user=alice)

    def exchange(**fields):
        return Exchange.objects.create(
            conversation=conversation, user=alice, question="q", **fields
        )

    exchange(
        status="done",
        metrics={"citation_coverage": 1.0, "judge": {"faithfulness": 4}},
        max_score=0.8,
        total_ms=1000,
    )
    exchange(status="done", metrics={"citation_coverage": 0.5, "refused": False}, max_score=0.6)
    exchange(status="refused", refused=True)
    old = exchange(status="done", metrics={"citation_coverage": 0.0})
    Exchange.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))

    out = StringIO()
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    call_command("evaluate", "answers", "--since", since, "--json", stdout=out)
    aggregates = json.loads(out.getvalue())

    assert aggregates["exchanges"] == 3
    assert aggregates["by_status"] == {"done": 2, "refused": 1}
    assert aggregates["refused_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert aggregates["without_metrics"] == 1
    assert aggregates["metrics"]["citation_coverage"]["mean"] == 0.75
    assert aggregates["metrics"]["judge.faithfulness"]["n"] == 1
    assert aggregates["fields"]["max_score"]["mean"] == 0.7
    assert (Path(settings.DATA_DIR) / "eval" / "latest-answers.md").is_file()

    out = StringIO()
    call_command("evaluate", "answers", stdout=out)
    assert "Exchanges: 4" in out.getvalue() and "citation_coverage" in out.getvalue()


@pytest.mark.django_db
def test_evaluate_answers_with_no_exchange_and_a_bad_date():
    out = StringIO()
    call_command("evaluate", "answers", stdout=out)
    assert "No exchange in this period." in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("evaluate", "answers", "--since", "last tuesday")


def test_evaluate_grounding_quote_path_prints_a_table_per_language():
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("evaluate", "grounding", "--paths", "quote", "--every", "16", stdout=out)
    lines = [line for line in out.getvalue().splitlines() if line.startswith("| quote |")]
    assert {line.split("|")[2].strip() for line in lines} == {"en", "fr"}


def test_evaluate_grounding_rejects_an_unknown_path():
    import pytest
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="unknown path"):
        call_command("evaluate", "grounding", "--paths", "magic")
