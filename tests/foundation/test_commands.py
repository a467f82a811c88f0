import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from ingestion.models import Collection


@pytest.mark.django_db
def test_createuser_is_idempotent_and_adds_roles(monkeypatch):
    call_command("createuser", "dora", "--role", "employee", stdout=io.StringIO())
    call_command(
        "createuser", "dora", "--role", "employee", "--role", "compliance", stdout=io.StringIO()
    )
    user = get_user_model().objects.get(username="dora")
    assert get_user_model().objects.filter(username="dora").count() == 1
    assert set(user.groups.values_list("name", flat=True)) == {"employee", "compliance"}
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_createuser_reads_the_password_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-Passw0rd\n"))
    call_command("createuser", "eve", "--role", "admin", "--password-stdin", stdout=io.StringIO())
    user = get_user_model().objects.get(username="eve")
    assert user.check_password("s3cret-Passw0rd")
    assert user.is_staff


@pytest.mark.django_db
def test_createuser_rejects_an_unknown_role():
    with pytest.raises(CommandError):
        call_command("createuser", "x", "--role", "root", stdout=io.StringIO())


@pytest.mark.django_db
def test_grant_and_revoke_are_idempotent(alice, collection_b):
    for _ in range(2):
        call_command(
            "grant", "--collection", "collection-b", "--user", "alice", stdout=io.StringIO()
        )
    assert list(collection_b.reader_users.values_list("username", flat=True)) == ["alice"]
    for _ in range(2):
        call_command(
            "grant",
            "--collection",
            "collection-b",
            "--user",
            "alice",
            "--revoke",
            stdout=io.StringIO(),
        )
    assert collection_b.reader_users.count() == 0
    call_command(
        "grant", "--collection", "collection-b", "--group", "employee", stdout=io.StringIO()
    )
    assert list(collection_b.reader_groups.values_list("name", flat=True)) == ["employee"]


@pytest.mark.django_db
def test_grant_reports_unknown_names(alice):
    with pytest.raises(CommandError, match="no collection with slug 'nope'"):
        call_command("grant", "--collection", "nope", "--user", "alice", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no user named 'ghost'"):
        call_command(
            "grant", "--collection", "collection-a", "--user", "ghost", stdout=io.StringIO()
        )


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_passwords_once(settings):
    first = io.StringIO()
    call_command("seed_demo", "--no-documents", stdout=first)
    second = io.StringIO()
    call_command("seed_demo", "--no-documents", stdout=second)
    users = get_user_model().objects.filter(username__in=["alice", "bob", "ada", "carl"])
    assert users.count() == 4
    assert "alice" in first.getvalue() and "Passwords" in first.getvalue()
    assert "already present" in second.getvalue()
    password = first.getvalue().split("alice", 1)[1].split()[0]
    assert get_user_model().objects.get(username="alice").check_password(password)
    assert Collection.objects.filter(slug="demo").count() == 1
    demo = Collection.objects.get(slug="demo")
    assert list(demo.reader_users.values_list("username", flat=True)) == ["alice"]
    saved = settings.DATA_DIR / "demo-passwords.txt"
    assert (saved.stat().st_mode & 0o777) == 0o600
