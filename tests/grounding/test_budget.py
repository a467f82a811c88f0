import pytest

from assistant.chat.grounding.budget import FIXED_LATENCY_S, ttft_passage_budget
from assistant.chat.grounding.verify import Passage


def p(n, text):
    return Passage(n, text)


def test_fits_passages_within_the_ttft_budget():
    items = [(p(i, f"passage number {i} " * 3), 200) for i in range(1, 7)]
    # (3.0 - 0.15) s * 300 tok/s = 855 tokens; 155 of overhead leaves room for 3 x 200.
    result = ttft_passage_budget(items, overhead_tokens=155, prompt_rate_tps=300, budget_s=3.0)
    assert result.token_budget == int((3.0 - FIXED_LATENCY_S) * 300)
    assert [x.number for x in result.passages] == [1, 2, 3]
    assert result.prompt_tokens == 755
    assert not result.over_budget
    assert result.estimated_ttft_s <= 3.0


def test_cached_prefix_is_free_and_slower_models_get_fewer_passages():
    items = [(p(i, f"text {i} about topic {i}"), 200) for i in range(1, 7)]
    cached = ttft_passage_budget(items, overhead_tokens=455, cached_prefix_tokens=300,
                                 prompt_rate_tps=300, budget_s=3.0)  # fmt: skip
    assert cached.count == 3
    slow = ttft_passage_budget(items, overhead_tokens=155, prompt_rate_tps=155, budget_s=3.0)
    assert slow.count == 1


def test_duplicates_are_skipped_and_shorter_later_passages_used():
    text = "Employees receive 25 days of paid leave per year."
    items = [
        (p(1, text), 300),
        (p(2, "  " + text.upper()), 300),  # same passage from another version
        (p(3, "A long passage about something else entirely. " * 10), 600),
        (p(4, "A short one about meal allowances."), 100),
    ]
    result = ttft_passage_budget(items, overhead_tokens=100, prompt_rate_tps=300, budget_s=3.0)
    assert [x.number for x in result.passages] == [1, 4]
    assert result.skipped_duplicates == 1


def test_top_passage_is_kept_even_over_budget_and_defaults_come_from_settings(settings):
    settings.RAG_TTFT_BUDGET_S = 1.0
    result = ttft_passage_budget([("a very long text", 5000), ("short", 10)], overhead_tokens=50)
    assert result.passages == ["a very long text"]
    assert result.over_budget
    assert result.token_budget == int((1.0 - FIXED_LATENCY_S) * 300)
    with pytest.raises(ValueError):
        ttft_passage_budget([], overhead_tokens=0, prompt_rate_tps=0)
    assert ttft_passage_budget([], overhead_tokens=0, budget_s=3.0).count == 0
