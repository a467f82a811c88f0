from assistant.evaluation.grounding import evaluate_answers, format_report, keyword_found
from assistant.evaluation.grounding_set import build_eval_set


def test_eval_set_shape_is_deterministic():
    items = build_eval_set()
    assert items == build_eval_set()
    for lang in ("en", "fr"):
        subset = [i for i in items if i.lang == lang]
        assert sum(i.answerable for i in subset) >= 40
        assert sum(not i.answerable for i in subset) >= 10
    for item in items:
        assert len(item.passages) == 4
        if item.answerable:
            assert any(all(keyword_found(p.text, k) for k in item.keywords) for p in item.passages)


def test_keyword_matching_normalises_numbers_dates_and_names():
    assert keyword_found("It costs 1 250,00 € [1].", "€1,250.00")
    assert keyword_found("Le 3 mars 2025.", "3 mars 2025")
    assert keyword_found("since 03/03/2025", "March 3, 2025")
    assert keyword_found("Dirigé par Mme LEFEVRE.", "Lefèvre")
    assert not keyword_found("It costs 1 350,00 €.", "€1,250.00")


def test_quote_and_generated_paths_on_a_slice(embedder):
    items = [i for i in build_eval_set() if i.id.endswith(("meal", "parking", "-legal"))]

    def parrot(question, passages):  # a "model" that copies the first passage, uncited
        return passages[0].text

    reports = evaluate_answers(
        paths=("quote", "generated", "auto"), generate=parrot, items=items, embedder=embedder
    )
    assert [(r.path, r.lang) for r in reports] == [
        (path, lang) for path in ("quote", "generated", "auto") for lang in ("en", "fr")
    ]
    quote = reports[0]
    assert quote.answer_recall > 0 and quote.supported_share == 1.0
    auto_fr = reports[5]
    assert set(auto_fr.paths) <= {"quote", "refused"}  # French is not in the model's languages
    assert "| quote | en |" in format_report(reports)
