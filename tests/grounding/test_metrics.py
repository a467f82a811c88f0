from assistant.chat.grounding.metrics import (
    aggregate,
    exchange_metrics,
    is_refusal,
    needs_review,
    verification_from_dict,
    verification_to_dict,
)
from assistant.chat.grounding.verify import Passage, verify_answer

PASSAGES = [Passage(1, "Employees receive 25 days of paid leave per year.", "Leave", 1)]


def test_metrics_roundtrip_and_review(embedder):
    verification = verify_answer(
        "Employees receive 25 days of paid leave per year [1]. They also get 40 bonus days [1].",
        PASSAGES,
        lang="en",
        embedder=embedder,
    )
    data = verification_to_dict(verification)
    assert verification_from_dict(data) == verification
    metrics = exchange_metrics(
        verification, path="generated", refused=False, retrieval_scores=[0.71, 0.4]
    )
    assert metrics["sentences"] == 2
    assert metrics["supported_share"] == 0.5
    assert metrics["unsupported_numbers"] == ["40"]
    assert metrics["retrieval_top_score"] == 0.71
    assert needs_review(metrics) == (True, "numbers or dates not found in the sources")
    refused = exchange_metrics(None, path="refused", refused=True)
    assert needs_review(refused) == (False, "")
    totals = aggregate([metrics, refused])
    assert totals["exchanges"] == 2 and totals["refused"] == 1 and totals["to_review"] == 1
    assert totals["paths"] == {"generated": 1, "refused": 1}


def test_refusals_are_recognised_in_both_languages():
    assert is_refusal("Je ne sais pas : les documents ne contiennent pas cette information.")
    assert is_refusal("I don’t know, the documents do not mention it.")  # noqa: RUF001
    assert is_refusal("Les documents trouvés ne contiennent aucune phrase qui réponde directement.")
    assert not is_refusal("Employees receive 25 days of paid leave per year [1].")
