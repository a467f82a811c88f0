from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    """Benchmarks (`manage.py bench`) and quality evaluation (`manage.py evaluate`), one home."""

    name = "assistant.evaluation"
    label = "evaluation"
    verbose_name = "Benchmarks and evaluation"
