from assistant.chat.retrieval import sparse_weight_for


def test_french_questions_lean_on_the_lexical_list_with_an_english_only_embedder(settings):
    settings.RAG_SPARSE_WEIGHT_UNCOVERED = 3.0
    question = "Combien de jours de congés payés par an ?"
    assert sparse_weight_for(("en",), None, question) == 3.0
    assert sparse_weight_for(("en",), "fr", "anything") == 3.0


def test_covered_languages_keep_equal_weights():
    assert sparse_weight_for(("en",), None, "How many days of paid leave per year?") == 1.0
    assert sparse_weight_for(("*",), "fr", "Combien de jours de congés ?") == 1.0
