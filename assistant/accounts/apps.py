from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Roles (Django groups), user services and the createuser / grant commands. No models."""

    name = "assistant.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
