from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy and audit"

    def ready(self) -> None:
        from privacy import signals, triggers

        post_migrate.connect(
            triggers.reinstall_after_migrate, sender=self, dispatch_uid="privacy_triggers"
        )
        signals.connect()
