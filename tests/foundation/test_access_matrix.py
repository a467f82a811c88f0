"""Every page checks its role: wrong role -> 403 page, anonymous -> login redirect."""

import pytest
from django.test import Client
from django.urls import reverse

PAGES = {
    "chat": "employee",
    "collections": "admin",
    "review_queue": "compliance",
}


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(PAGES))
def test_anonymous_is_redirected_to_login(url_name):
    response = Client().get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(PAGES))
@pytest.mark.parametrize("username", ["alice", "ada", "carl"])
def test_role_by_page_matrix(url_name, username, request, client_for):
    user = request.getfixturevalue(username)
    response = client_for(user).get(reverse(url_name))
    roles = {"alice": "employee", "ada": "admin", "carl": "compliance"}
    if roles[username] == PAGES[url_name]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert b"Access denied" in response.content


@pytest.mark.django_db
def test_a_user_with_several_roles_reaches_each_page(client_for):
    from assistant.accounts.services import user_create_or_update

    user, _ = user_create_or_update(username="multi", roles=["employee", "compliance"])
    client = client_for(user)
    assert client.get(reverse("chat")).status_code == 200
    assert client.get(reverse("review_queue")).status_code == 200
    assert client.get(reverse("collections")).status_code == 403


@pytest.mark.django_db
def test_home_routes_each_role_to_its_page(alice, ada, carl, client_for):
    assert client_for(alice).get("/")["Location"] == reverse("chat")
    assert client_for(ada).get("/")["Location"] == reverse("collections")
    assert client_for(carl).get("/")["Location"] == reverse("review_queue")


@pytest.mark.django_db
def test_chat_lists_only_readable_collections(alice, bob, client_for):
    page = client_for(alice).get(reverse("chat")).content.decode()
    assert "Collection A" in page
    assert "Collection B" not in page


@pytest.mark.django_db
def test_readable_collections_selector_follows_user_and_group_grants(alice, bob, collection_b):
    from assistant.accounts.services import collection_grant
    from ingestion.selectors import collections_readable_by

    assert [c.slug for c in collections_readable_by(alice)] == ["collection-a"]
    collection_grant(collection_slug="collection-b", group_name="employee")
    assert sorted(c.slug for c in collections_readable_by(alice)) == [
        "collection-a",
        "collection-b",
    ]
    collection_grant(collection_slug="collection-b", group_name="employee", revoke=True)
    alice.is_active = False
    alice.save()
    assert list(collections_readable_by(alice)) == []


@pytest.mark.django_db
def test_login_page_and_login_flow(alice):
    from tests.fixtures.users import PASSWORD

    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("login"))
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token},
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 302
    assert client.get(reverse("chat")).status_code == 200


@pytest.mark.django_db
def test_login_without_csrf_token_is_rejected(alice):
    from tests.fixtures.users import PASSWORD

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.django_db
def test_brute_force_locks_the_account_after_repeated_failures(alice, settings):
    from tests.fixtures.users import PASSWORD

    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"), {"username": "alice", "password": "wrong"}, REMOTE_ADDR="10.0.0.9"
        )
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_security_headers_and_csp_without_inline_scripts(alice, client_for):
    response = client_for(alice).get(reverse("chat"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    page = response.content.decode()
    assert "<script>" not in page  # no inline script anywhere
    assert "https://" not in page  # no CDN


def test_session_cookie_flags(settings):
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")


@pytest.mark.django_db
def test_htmx_and_css_are_served_locally(alice, client_for, settings):
    page = client_for(alice).get(reverse("chat")).content.decode()
    assert "htmx" in page
    from django.test import Client as PlainClient

    for path in ("/static/django_htmx/htmx-2.min.js", "/static/assistant/app.css"):
        response = PlainClient().get(path)
        assert response.status_code == 200, path
