from django.apps import AppConfig


class KpiConfig(AppConfig):
    """The KPI dashboard: it reads exchanges, it owns no models."""

    name = "assistant.kpi"
    label = "kpi"
    verbose_name = "KPI dashboard"
