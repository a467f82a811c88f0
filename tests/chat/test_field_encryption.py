"""Encryption at rest of conversation text (RAG_FIELD_KEY_FILE, assistant.chat.fieldkeys): a raw
SQL read of the chat tables shows no question, answer, title, feedback reason or cache key terms
while the ORM reads them back; rows from before still read and `fieldkey encrypt-existing`
encrypts them; `fieldkey rotate` moves every value to a new key so the old one can go; an unsafe
key file is refused; without a key nothing changes. The end-to-end tests go through
answer_question with the fake LLM, the chat page and the semantic cache."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from assistant.chat import fieldkeys
from assistant.chat.models import CachedAnswer, Conversation, Exchange
from assistant.chat.semantic_cache.terms import key_terms

pytestmark = pytest.mark.django_db

TITLE = "Canary title TITLECANARY4417"
QUESTION = "What does QUESTIONCANARY8823 say about leave?"
ANSWER = "The ANSWERCANARY5510 policy grants leave [1]."
REASON = "Wrong: FEEDBACKCANARY3302 is outdated"
SENTENCE = "A sentence quoting SENTENCECANARY6604."
# Upper case in the texts; the key terms are lower case and stemmed.
CANARIES = ("CANARY4417", "CANARY8823", "CANARY5510", "CANARY3302", "CANARY6604", "canary8823")
KEY_TERMS = key_terms(QUESTION, "en")  # as the cache stores them
CHAT_TABLES = ("assistant_conversation", "assistant_exchange", "assistant_cachedanswer")


def key_file(folder: Path, name: str = "field.key") -> Path:
    path = folder / name
    fieldkeys.generate_key_file(path)
    return path


def dump(*tables: str) -> str:
    """Every column of every row of `tables`, as a database dump would show them."""
    rows: list[str] = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")
            rows.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(rows)


def raw_column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def make_rows(user) -> tuple[Conversation, Exchange, CachedAnswer]:
    conversation = Conversation.objects.create(user=user, title=TITLE)
    exchange = Exchange.objects.create(
        conversation=conversation,
        user=user,
        question=QUESTION,
        answer=ANSWER,
        feedback=-1,
        feedback_reason=REASON,
        status=Exchange.Status.DONE,
        metrics={
            "citation_coverage": 0.5,
            "groundedness": 0.25,
            "sentences": 1,
            "verification": {"sentences": [{"text": SENTENCE, "status": "supported"}]},
        },
    )
    entry = CachedAnswer.objects.create(
        exchange=exchange,
        language="en",
        embed_model="m",
        embedding=b"\0" * 8,
        key_terms=KEY_TERMS,
        expires_at=timezone.now(),
    )
    return conversation, exchange, entry


def assert_reads_back(conversation: Conversation, exchange: Exchange) -> None:
    assert Conversation.objects.get(pk=conversation.pk).title == TITLE
    loaded = Exchange.objects.get(pk=exchange.pk)
    assert (loaded.question, loaded.answer, loaded.feedback_reason) == (QUESTION, ANSWER, REASON)
    assert loaded.metrics["verification"]["sentences"][0]["text"] == SENTENCE
    assert loaded.metrics["citation_coverage"] == 0.5
    assert list(Exchange.objects.filter(pk=exchange.pk).values_list("question", "metrics")) == [
        (QUESTION, loaded.metrics)
    ]
    # The semantic cache looks entries up by equal key terms: still found.
    assert CachedAnswer.objects.filter(key_terms=KEY_TERMS, exchange=exchange).exists()


def command(*args: str) -> str:
    out = io.StringIO()
    call_command("fieldkey", *args, stdout=out)
    return out.getvalue()


def test_a_dump_shows_no_conversation_text_while_the_orm_reads_it_back(alice, settings, tmp_path):
    settings.RAG_FIELD_KEY_FILE = str(key_file(tmp_path))
    conversation, exchange, _ = make_rows(alice)

    dumped = dump(*CHAT_TABLES)
    for canary in CANARIES:
        assert canary not in dumped
    assert raw_column("assistant_exchange", "question", exchange.pk).startswith("enc:v1:")
    assert_reads_back(conversation, exchange)
    # What SQL still reads (the KPI selectors' JSON lookups) is kept clear on purpose.
    assert list(
        Exchange.objects.values_list("metrics__citation_coverage", "metrics__groundedness")
    ) == [(0.5, 0.25)]
    from assistant.kpi.period import Period
    from assistant.kpi.selectors import exchange_rows

    today = timezone.localdate()
    [row] = exchange_rows(Period(today, today))
    assert (row.citation_coverage, row.groundedness, row.feedback) == (0.5, 0.25, -1)
    # Every save encrypts again (a new IV), never twice over.
    exchange.answer = ANSWER + " Updated."
    exchange.save()
    assert Exchange.objects.get(pk=exchange.pk).answer == ANSWER + " Updated."


def test_rows_from_before_still_read_and_encrypt_existing_encrypts_them(alice, settings, tmp_path):
    settings.RAG_FIELD_KEY_FILE = ""
    conversation, exchange, entry = make_rows(alice)
    assert raw_column("assistant_exchange", "question", exchange.pk) == QUESTION

    settings.RAG_FIELD_KEY_FILE = str(key_file(tmp_path))
    assert Exchange.objects.get(pk=exchange.pk).question == QUESTION  # plaintext still reads
    before = command("status")
    assert "assistant.Exchange.question: 1 plaintext" in before

    out = command("encrypt-existing", "--batch-size", "1")
    assert "assistant.Exchange: 4 values written" in out  # question, answer, reason, metrics
    dumped = dump(*CHAT_TABLES)
    for canary in CANARIES:
        assert canary not in dumped
    assert_reads_back(conversation, exchange)
    after = command("status")
    assert "assistant.Exchange.question: 1 key 1" in after
    assert "assistant.CachedAnswer.key_terms: 1 keyed digest" in after
    assert "plaintext" not in after
    assert "0 values written" in command("encrypt-existing")  # idempotent
    entry.refresh_from_db()
    assert entry.key_terms.startswith("hmac:v1:")


def test_rotation_re_encrypts_with_the_new_key_and_the_old_key_can_then_go(
    alice, settings, tmp_path
):
    old = key_file(tmp_path, "old.key")
    settings.RAG_FIELD_KEY_FILE = str(old)
    conversation, exchange, _ = make_rows(alice)
    Exchange.objects.create(  # a second row, so the batches turn over
        conversation=conversation, user=alice, question="Another question?", answer=""
    )
    old_token = raw_column("assistant_exchange", "question", exchange.pk)

    new = key_file(tmp_path, "new.key")
    out = command("rotate", "--new-key-file", str(new), "--batch-size", "1")
    assert "re-encrypted" in out
    assert len(fieldkeys.load_keys(new).lines) == 2  # the new key first, the old one kept
    assert raw_column("assistant_exchange", "question", exchange.pk) != old_token

    settings.RAG_FIELD_KEY_FILE = str(new)
    assert "key 2" not in command("status")
    assert "removed 1 older key" in command("prune")
    fieldkeys.forget_loaded_keys()
    assert len(fieldkeys.load_keys(new).lines) == 1
    assert_reads_back(conversation, exchange)  # with the new key alone, the cache lookup too
    for canary in CANARIES:
        assert canary not in dump(*CHAT_TABLES)

    settings.RAG_FIELD_KEY_FILE = str(old)  # the old key alone opens nothing any more
    with pytest.raises(ImproperlyConfigured, match="a key this file does not hold"):
        Exchange.objects.get(pk=exchange.pk)


def test_prune_refuses_while_a_value_still_needs_an_older_key(alice, settings, tmp_path):
    old = key_file(tmp_path, "old.key")
    settings.RAG_FIELD_KEY_FILE = str(old)
    make_rows(alice)
    both = tmp_path / "both.key"
    new_key = fieldkeys.load_keys(key_file(tmp_path, "new.key")).lines[0]
    fieldkeys.write_key_file(both, [new_key, *fieldkeys.load_keys(old).lines])
    settings.RAG_FIELD_KEY_FILE = str(both)  # new key first, rows still under the old one
    with pytest.raises(CommandError, match="older keys are still needed"):
        command("prune")
    assert "assistant.Exchange: 4 values written" in command("rotate")
    assert "removed 1 older key" in command("prune")


def test_a_key_file_others_can_read_is_refused(alice, settings, tmp_path):
    path = key_file(tmp_path)
    path.chmod(0o644)
    settings.RAG_FIELD_KEY_FILE = str(path)
    with pytest.raises(ImproperlyConfigured, match=r"mode 0644 .*`chmod 600 "):
        Conversation.objects.create(user=alice, title=TITLE)
    [error] = fieldkeys.check_field_key_file()
    assert error.id == "assistant.E001" and "chmod 600" in error.msg
    path.chmod(0o600)
    fieldkeys.forget_loaded_keys()
    assert fieldkeys.check_field_key_file() == []
    for broken, message in (("not a key\n", "key 1 is not a Fernet key"), ("# none\n", "no key")):
        path.write_text(broken)
        fieldkeys.forget_loaded_keys()
        with pytest.raises(ImproperlyConfigured, match=message):
            fieldkeys.active_keys()
    settings.RAG_FIELD_KEY_FILE = str(tmp_path / "missing.key")
    with pytest.raises(ImproperlyConfigured, match="cannot read the key file"):
        fieldkeys.active_keys()


def test_without_a_key_the_database_holds_the_text_as_before(alice, settings):
    settings.RAG_FIELD_KEY_FILE = ""
    conversation, exchange, entry = make_rows(alice)
    assert raw_column("assistant_conversation", "title", conversation.pk) == TITLE
    assert raw_column("assistant_exchange", "answer", exchange.pk) == ANSWER
    assert raw_column("assistant_exchange", "feedback_reason", exchange.pk) == REASON
    stored_metrics = json.loads(raw_column("assistant_exchange", "metrics", exchange.pk))
    assert stored_metrics == Exchange.objects.get(pk=exchange.pk).metrics
    assert raw_column("assistant_cachedanswer", "key_terms", entry.pk) == KEY_TERMS
    assert_reads_back(conversation, exchange)
    # A question that looks like a stored token is kept as typed, never taken for one.
    odd = Exchange.objects.create(conversation=conversation, user=alice, question="enc:v1:abc")
    assert raw_column("assistant_exchange", "question", odd.pk) == "enc:v0:enc:v1:abc"
    assert Exchange.objects.get(pk=odd.pk).question == "enc:v1:abc"
    with pytest.raises(CommandError, match="RAG_FIELD_KEY_FILE is empty"):
        command("encrypt-existing")


def test_encrypted_rows_without_the_key_fail_with_a_clear_message(alice, settings, tmp_path):
    settings.RAG_FIELD_KEY_FILE = str(key_file(tmp_path))
    _, exchange, _ = make_rows(alice)
    settings.RAG_FIELD_KEY_FILE = ""
    with pytest.raises(ImproperlyConfigured, match="RAG_FIELD_KEY_FILE is empty"):
        Exchange.objects.get(pk=exchange.pk)


def test_generate_never_overwrites_and_writes_an_owner_only_file(tmp_path):
    path = tmp_path / "k.key"
    assert "mode 0600" in command("generate", str(path))
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(CommandError, match="never overwritten"):
        command("generate", str(path))


def test_bench_reports_microseconds_per_field():
    out = command("bench", "--rounds", "20")
    for field in ("title", "feedback reason", "question", "answer", "metrics"):
        assert re.search(rf"^{field}.*\d+\.\d +\d+\.\d +\d+\.\d$", out, re.MULTILINE), out


# --- end to end: answer_question with the fake LLM, the chat page, the semantic cache ---------

LEAVE = "How many days of paid annual leave do employees get?"
LEAVE_PARAPHRASE = "Could you tell me how many days of paid annual leave employees get, please?"
REPLY = "Employees receive 27 days of paid annual leave per year [1]."


@pytest.fixture
def encrypted(settings, tmp_path):
    settings.RAG_FIELD_KEY_FILE = str(key_file(tmp_path))
    settings.RAG_REVIEW_SAMPLE_RATE = 0
    settings.RAG_JUDGE_SAMPLE_RATE = 0
    yield settings
    from django.core.cache import cache

    cache.clear()


def test_a_generated_answer_is_stored_encrypted_and_the_chat_page_renders_it(
    encrypted, chat_users, client_for
):
    from assistant.chat.services import answer_question, record_feedback

    encrypted.RAG_FAKE_LLM_REPLY = REPLY
    encrypted.RAG_CACHE_ENABLED = False
    hana = chat_users["hana"]
    exchange = answer_question(user=hana, question=LEAVE, mode="generated")
    assert exchange.status == Exchange.Status.DONE
    assert exchange.answer_path == Exchange.AnswerPath.GENERATED
    assert exchange.answer == REPLY
    record_feedback(exchange=exchange, value=-1, reason=REASON)

    dumped = dump("assistant_conversation", "assistant_exchange")
    for text in ("paid annual leave", "27 days", "CANARY3302"):
        assert text not in dumped
    page = client_for(hana).get(f"/chat/c/{exchange.conversation_id}/").content.decode()
    assert LEAVE in page  # the question, and the title made from it
    assert "Employees receive 27 days of paid annual leave per year" in page
    assert 'class="sentence supported' in page  # the verification came back from the metrics


def test_the_semantic_cache_still_serves_a_paraphrase_with_encryption_on(encrypted, chat_users):
    from assistant.chat.services import answer_question

    encrypted.RAG_CACHE_ENABLED = True
    encrypted.RAG_CACHE_THRESHOLD = 0.80
    original = answer_question(user=chat_users["hana"], question=LEAVE, mode="quote")
    entry = CachedAnswer.objects.get(exchange=original)
    assert raw_column("assistant_cachedanswer", "key_terms", entry.pk).startswith("hmac:v1:")
    served = answer_question(user=chat_users["lea"], question=LEAVE_PARAPHRASE, mode="quote")
    assert served.answer_path == Exchange.AnswerPath.CACHE
    assert served.cached_from_id == original.pk and served.answer == original.answer
    assert "paid annual leave" not in dump(*CHAT_TABLES)
