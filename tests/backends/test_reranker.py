"""The second-stage reranker: off by default, clear errors for a missing model, the real
sentence-transformers CrossEncoder behind the protocol, and retrieval reordering its candidates
(passage scores stay the dense cosine, so the relevance threshold keeps its meaning)."""

import pytest

from assistant.backends import reranker as reranker_module
from assistant.backends.reranker import (
    CrossEncoderReranker,
    RerankerUnavailable,
    get_reranker,
    rerank,
)
from tests.fakes.reranker import WordReranker


def test_off_by_default(settings):
    settings.RAG_RERANK_MODEL = ""
    assert get_reranker() is None


def test_a_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(RerankerUnavailable, match="no download is attempted"):
        CrossEncoderReranker(str(tmp_path / "nowhere"))


def test_rerank_reorders_only_the_candidates_and_keeps_ties_stable():
    items = ["alpha one", "beta two", "gamma beta", "delta", "beta last"]
    reordered = rerank(WordReranker("beta"), "q", items, lambda text: text, candidates=4)
    assert reordered == ["beta two", "gamma beta", "alpha one", "delta", "beta last"]


def test_the_real_cross_encoder_scores_every_pair_offline():
    """No cross-encoder with weights ships on our package index, so this loads the packaged
    MiniLM folder as a CrossEncoder (sentence-transformers adds an untrained scoring head): it
    proves the wrapper drives the real library from local files, not that the scores mean much."""
    import torch

    from assistant.backends.embedder import MINILM, packaged_embedder_path

    torch.manual_seed(0)
    model = CrossEncoderReranker(packaged_embedder_path(MINILM))
    scores = model.score("paid leave days", ["27 days of paid leave", "VPN rules", "x"])
    assert len(scores) == 3 and all(isinstance(s, float) for s in scores)
    assert model.score("q", []) == []


@pytest.mark.django_db
def test_retrieval_puts_the_reranked_chunk_first(chat_users, settings, monkeypatch):
    from assistant.chat.retrieval import retrieve

    settings.RAG_MIN_SCORE = 0.0
    question = "How many days of paid annual leave do employees get?"
    before = retrieve(user=chat_users["hana"], question=question)
    assert before.rerank_ms is None
    assert "27 days" in before.passages[0].text
    fake = WordReranker("remote")
    settings.RAG_RERANK_MODEL = "fake"
    monkeypatch.setattr(reranker_module, "get_reranker", lambda: fake)
    after = retrieve(user=chat_users["hana"], question=question)
    assert "Remote work" in after.passages[0].text
    assert after.rerank_ms is not None and fake.calls and fake.calls[0][0] == question
    scores = {p.chunk_id: p.score for p in before.passages}
    for passage in after.passages:  # the dense cosine stays the score
        if passage.chunk_id in scores:
            assert passage.score == pytest.approx(scores[passage.chunk_id])
