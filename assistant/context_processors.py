from django.http import HttpRequest

from assistant.accounts.roles import user_roles


def roles(request: HttpRequest) -> dict[str, object]:
    return {"user_roles": user_roles(request.user)}
