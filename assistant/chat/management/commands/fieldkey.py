"""`manage.py fieldkey`: the keys that encrypt conversation text at rest (RAG_FIELD_KEY_FILE,
assistant.chat.fieldkeys) and the rows they protect.

    generate PATH                  a new key file (mode 0600) holding one new key
    status                         per field: empty, plaintext, under which key, unreadable
    encrypt-existing               encrypt what is still plaintext with the current key
    rotate [--new-key-file PATH]   re-encrypt everything with PATH's first key (default: the
                                   first key of RAG_FIELD_KEY_FILE), reading with every key
    prune                          drop RAG_FIELD_KEY_FILE's older keys once no value needs them
    bench [--rounds N]             microseconds to encrypt and decrypt one value of each field

Rows are read and rewritten in batches (--batch-size), each batch in one transaction holding its
rows (SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions here take the write lock), so an
answer saved meanwhile is never overwritten by an older copy. Stored values are read and written
as they are in the database, not through the fields, so nothing is encrypted twice.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from argparse import ArgumentParser
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models import ExpressionWrapper, F, Value
from django.test.utils import override_settings

from assistant.chat import fieldkeys
from assistant.chat.fieldkeys import FieldKeyError, FieldKeys
from assistant.chat.fields import SEALED_KEY, EncryptedJSONField, EncryptedTextField

EMPTY, PLAIN, UNREADABLE, DIGEST = "empty", "plaintext", "unreadable", "keyed digest"
Sealable = EncryptedTextField | EncryptedJSONField
# (pk, {column: stored value}) -> {field name: new stored value}; a missing name is unchanged.
RowChange = Callable[[int, dict[str, Any]], dict[str, Any]]


class Command(BaseCommand):
    help = "Encryption at rest of conversation text: generate, status, encrypt-existing, rotate."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        generate = actions.add_parser("generate", help="write a new key file (0600)")
        generate.add_argument("path", type=Path)
        actions.add_parser("status", help="what each field holds, by key")
        for name in ("encrypt-existing", "rotate"):
            action = actions.add_parser(name)
            action.add_argument("--batch-size", type=int, default=500)
            if name == "rotate":
                action.add_argument("--new-key-file", type=Path, default=None)
        actions.add_parser("prune", help="remove the older keys once no stored value needs them")
        bench = actions.add_parser("bench", help="cost per field, against raw Fernet")
        bench.add_argument("--rounds", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "generate":
                self.generate(options["path"])
            elif action == "status":
                self.report(stored_status(fieldkeys.active_keys()))
            elif action == "encrypt-existing":
                self.encrypt_existing(options["batch_size"])
            elif action == "rotate":
                self.rotate(options["new_key_file"], options["batch_size"])
            elif action == "prune":
                self.prune()
            else:
                for line in bench_lines(options["rounds"]):
                    self.stdout.write(line)
        except FieldKeyError as error:
            raise CommandError(str(error)) from None

    def generate(self, path: Path) -> None:
        try:
            fieldkeys.generate_key_file(path)
        except FileExistsError:
            raise CommandError(f"{path} exists: a key file is never overwritten") from None
        self.stdout.write(
            f"wrote a new key to {path} (mode 0600). Keep a copy apart from the database "
            "backups: without it the encrypted conversations cannot be read."
        )

    def encrypt_existing(self, batch_size: int) -> None:
        keys = fieldkeys.active_keys()
        if keys is None:
            raise CommandError("RAG_FIELD_KEY_FILE is empty: there is no key to encrypt with")
        written = reseal(keys, batch_size, rotate=False, out=self.stdout.write)
        self.stdout.write(f"encrypted {written} values with the first key of {keys.path}")

    def rotate(self, new_key_file: Path | None, batch_size: int) -> None:
        current = fieldkeys.active_keys()
        if new_key_file is None:
            if current is None:
                raise CommandError("RAG_FIELD_KEY_FILE is empty: give --new-key-file")
            target = current
        else:
            new = fieldkeys.load_keys(new_key_file)
            older = current.lines if current is not None else ()
            lines = list(dict.fromkeys([*new.lines, *older]))  # new first, then the old ones
            target = fieldkeys.keys_from_lines(new_key_file, lines)
        lost = Counter[str]()
        written = reseal(target, batch_size, rotate=True, out=self.stdout.write, lost=lost)
        self.stdout.write(f"re-encrypted {written} values with the first key of {target.path}")
        if new_key_file is not None:
            fieldkeys.write_key_file(new_key_file, list(target.lines))
            fieldkeys.forget_loaded_keys()
            self.stdout.write(
                f"{new_key_file} holds the new key first and the {len(target.lines) - 1} "
                f"older one(s) after it, still readable. Set RAG_FIELD_KEY_FILE={new_key_file}, "
                "restart every process, run `fieldkey rotate` again (for rows written "
                "meanwhile with the old key), then `fieldkey prune`."
            )
        if lost:
            raise CommandError(f"values no key opens, left as they are: {dict(lost)}")

    def prune(self) -> None:
        keys = fieldkeys.active_keys()
        if keys is None:
            raise CommandError("RAG_FIELD_KEY_FILE is empty: there is no key to prune")
        counts = stored_status(keys)
        self.report(counts)
        needed = {
            f"{field} {label}": n
            for field, tally in counts.items()
            for label, n in tally.items()
            if n and (label == UNREADABLE or (label.startswith("key ") and label != "key 1"))
        }
        if needed:
            raise CommandError(f"the older keys are still needed ({needed}): `fieldkey rotate`")
        if len(keys.lines) == 1:
            self.stdout.write(f"{keys.path} holds one key: nothing to prune")
            return
        fieldkeys.write_key_file(keys.path, [keys.lines[0]])
        fieldkeys.forget_loaded_keys()
        self.stdout.write(
            f"removed {len(keys.lines) - 1} older key(s) from {keys.path}; restart every process"
        )

    def report(self, counts: dict[str, Counter[str]]) -> None:
        for field, tally in counts.items():
            parts = ", ".join(f"{n} {label}" for label, n in sorted(tally.items()) if n)
            self.stdout.write(f"{field}: {parts or 'no rows'}")


def sealed_fields() -> list[tuple[type[models.Model], dict[str, Sealable]]]:
    """Every model of the chat app with encrypted fields, and those fields by name."""
    found = []
    for model in apps.get_app_config("assistant").get_models():
        fields = {
            field.name: field
            for field in model._meta.concrete_fields
            if isinstance(field, EncryptedTextField | EncryptedJSONField)
        }
        if fields:
            found.append((model, fields))
    return found


def walk(
    model: type[models.Model],
    columns: list[str],
    batch_size: int,
    change: RowChange,
    *,
    lock: bool = True,
) -> int:
    """Call `change` with the stored values of `columns` (field names or lookups such as
    "exchange__question") of every row, by pk, in batches, and write what it returns as stored
    values, in the batch's transaction. Returns the number of values written."""
    stored = {
        f"stored_{column}": ExpressionWrapper(F(column), output_field=models.TextField())
        for column in columns
    }  # a plain output field: the values as they are in the database, not decrypted
    written, last = 0, 0
    while True:
        # Reading only (status): no transaction, which on SQLite here would take the write lock.
        with transaction.atomic() if lock else nullcontext():
            queryset = model._default_manager.all()
            if lock:
                queryset = queryset.select_for_update()
            rows = list(
                queryset.filter(pk__gt=last)
                .order_by("pk")
                .annotate(**stored)
                .values_list("pk", *stored)[:batch_size]
            )
            for pk, *values in rows:
                updates = change(pk, dict(zip(columns, values, strict=True)))
                if updates:
                    as_is = {name: stored_as_is(model, name, v) for name, v in updates.items()}
                    model._default_manager.filter(pk=pk).update(**as_is)
                    written += len(updates)
        if len(rows) < batch_size:
            return written
        last = rows[-1][0]


def stored_as_is(model: type[models.Model], name: str, value: Any) -> Value:
    """`value` written as it is: under a plain field type, so the encrypted field's
    get_db_prep_save does not seal it a second time."""
    if isinstance(model._meta.get_field(name), models.JSONField):
        return Value(value, output_field=models.JSONField())
    return Value(value, output_field=models.TextField())


def stored_token(stored: Any, field: Sealable) -> str | None:
    """The Fernet token a stored value holds, None when it holds none."""
    if isinstance(field, EncryptedJSONField):
        data = json.loads(stored) if isinstance(stored, str) else stored
        sealed = data.get(SEALED_KEY) if isinstance(data, dict) else None
        return sealed if isinstance(sealed, str) and fieldkeys.is_token(sealed) else None
    return stored if isinstance(stored, str) and fieldkeys.is_token(stored) else None


def holds_text(stored: Any, field: Sealable) -> bool:
    """Whether a value not encrypted has something to encrypt (JSON: a member not kept clear)."""
    if isinstance(field, EncryptedJSONField):
        data = json.loads(stored) if isinstance(stored, str) else stored
        return isinstance(data, dict) and any(k not in field.clear_keys for k in data)
    return bool(stored)


def classify(stored: Any, field: Sealable, keys: FieldKeys | None) -> str:
    """empty, plaintext, "key N" (line N of the key file opens it) or unreadable."""
    token = stored_token(stored, field)
    if token is None:
        return PLAIN if holds_text(stored, field) else EMPTY
    index = keys.key_index(token) if keys is not None else None
    return UNREADABLE if index is None else f"key {index + 1}"


def stored_status(keys: FieldKeys | None) -> dict[str, Counter[str]]:
    """For each encrypted field (and the cache's key terms), how many stored values are in
    which form. Reads only."""
    from assistant.chat.models import CachedAnswer

    counts: dict[str, Counter[str]] = {}
    for model, fields in sealed_fields():
        tallies = {name: Counter[str]() for name in fields}

        def count(
            pk: int, stored: dict[str, Any], tallies: Any = tallies, fields: Any = fields
        ) -> dict[str, Any]:
            for name, value in stored.items():
                tallies[name][classify(value, fields[name], keys)] += 1
            return {}

        walk(model, list(fields), 1000, count, lock=False)
        counts.update({f"{model._meta.label}.{name}": t for name, t in tallies.items()})
    digests = Counter[str]()
    for (terms,) in CachedAnswer.objects.values_list("key_terms"):
        digests[DIGEST if terms.startswith(fieldkeys.DIGEST_PREFIX) else PLAIN] += 1
    counts[f"{CachedAnswer._meta.label}.key_terms"] = digests
    return counts


def resealed(
    stored: Any, field: Sealable, keys: FieldKeys, *, rotate: bool, lost: Counter[str]
) -> Any:
    """The new stored value, or None when it stays: plaintext gets encrypted with the first key;
    with `rotate`, so does a value under an older key."""
    token = stored_token(stored, field)
    if token is not None:
        index = keys.key_index(token) if rotate else 0
        if index is None:
            lost[field.name] += 1
        if index is None or index == 0:
            return None
    if isinstance(field, EncryptedJSONField):
        data = json.loads(stored) if isinstance(stored, str) else stored
        if not isinstance(data, dict):
            return None
        if token is not None:
            data.pop(SEALED_KEY)
            data.update(json.loads(keys.decrypt(token)))
        sealed = field.seal_object(data, keys)
        return sealed if sealed is not data else None
    if not stored:
        return None
    plain = keys.decrypt(stored) if token is not None else fieldkeys.reveal(stored)
    return keys.encrypt(plain)


def reseal(
    keys: FieldKeys,
    batch_size: int,
    *,
    rotate: bool,
    out: Callable[[str], Any],
    lost: Counter[str] | None = None,
) -> int:
    """Encrypt every plaintext value of the encrypted fields (and with `rotate` re-encrypt
    every value under an older key) with the first of `keys`, then make the cache's key terms
    digests under it. Returns the number of values written."""
    lost = lost if lost is not None else Counter[str]()
    total = 0
    for model, fields in sealed_fields():

        def change(pk: int, stored: dict[str, Any], fields: Any = fields) -> dict[str, Any]:
            updates = {}
            for name, value in stored.items():
                new = resealed(value, fields[name], keys, rotate=rotate, lost=lost)
                if new is not None:
                    updates[name] = new
            return updates

        written = walk(model, list(fields), batch_size, change)
        out(f"{model._meta.label}: {written} values written")
        total += written
    written = redigest_key_terms(keys, batch_size, rotate=rotate)
    out(f"assistant.CachedAnswer.key_terms: {written} values written")
    return total + written


def redigest_key_terms(keys: FieldKeys, batch_size: int, *, rotate: bool) -> int:
    """Plain key terms are hashed as they are. A digest made with another key cannot be
    reversed, so on rotation the terms are derived again from the (decrypted) question, as the
    cache does on store and lookup; an entry left behind would only miss."""
    from assistant.chat.models import CachedAnswer
    from assistant.chat.semantic_cache.terms import key_terms

    def change(pk: int, stored: dict[str, Any]) -> dict[str, Any]:
        current = stored["key_terms"] or ""
        if not current.startswith(fieldkeys.DIGEST_PREFIX):
            return {"key_terms": keys.digest(current)} if current else {}
        if not rotate:
            return {}
        try:
            question = fieldkeys.reveal(stored["exchange__question"], keys)
        except FieldKeyError:
            return {}  # its exchange is unreadable too (counted there): leave the entry
        fresh = keys.digest(key_terms(question, stored["language"]))
        return {} if fresh == current else {"key_terms": fresh}

    columns = ["key_terms", "exchange__question", "language"]
    return walk(CachedAnswer, columns, batch_size, change)


def bench_lines(rounds: int) -> list[str]:
    """Median microseconds per value (5 runs of `rounds`) to store and read each encrypted
    field, against the same field unencrypted and raw Fernet on the same bytes, in this run."""
    from assistant.chat.models import Conversation, Exchange

    sentence = "Employees receive 27 days of paid annual leave per year [1]. "
    sentences = [
        {"text": sentence, "start": i * 61, "end": i * 61 + 60, "cited": [1], "status": "supported",
         "score": 0.91, "unsupported_terms": [], "best_passage": 1, "best_span": [0, 60]}
        for i in range(6)
    ]  # fmt: skip
    metrics = {"path": "generated", "citation_coverage": 1.0, "groundedness": 0.9,
               "retrieval_scores": [0.71, 0.52, 0.48, 0.33], "path_reason": "generated",
               "verification": {"sentences": sentences, "supported_share": 1.0}}  # fmt: skip
    samples: list[tuple[str, Sealable, Any]] = [
        ("title, 80 chars", Conversation._meta.get_field("title"), "How many days " * 6),
        ("feedback reason, 200 chars", Exchange._meta.get_field("feedback_reason"), "x " * 100),
        ("question, 300 chars", Exchange._meta.get_field("question"), sentence * 5),
        ("answer, 1,200 chars", Exchange._meta.get_field("answer"), sentence * 20),
        (f"metrics, {len(json.dumps(metrics))} chars of JSON",
         Exchange._meta.get_field("metrics"), metrics),
    ]  # fmt: skip
    lines = [
        f"{'field':<34} {'plain':>8} {'encrypted':>10} {'raw Fernet':>11}  "
        "(µs per value, store + read)"
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.key"
        fieldkeys.generate_key_file(path)
        fernet = fieldkeys.load_keys(path).fernets[0]
        for label, field, value in samples:
            as_bytes = (json.dumps(value) if isinstance(value, dict) else value).encode()
            store_and_read = partial(_store_and_read, field, value)
            with override_settings(RAG_FIELD_KEY_FILE=""):
                plain = _median_us(store_and_read, rounds)
            with override_settings(RAG_FIELD_KEY_FILE=str(path)):
                ours = _median_us(store_and_read, rounds)
            raw = _median_us(partial(_fernet_round_trip, fernet, as_bytes), rounds)
            lines.append(f"{label:<34} {plain:>8.1f} {ours:>10.1f} {raw:>11.1f}")
    return lines


def _store_and_read(field: Sealable, value: Any) -> Any:
    """What saving and loading one value costs in the field (no database round trip)."""
    if isinstance(field, EncryptedJSONField):
        stored = json.dumps(field.seal_object(value))
    else:
        stored = field.get_db_prep_save(value, connection)
    return field.from_db_value(stored, None, connection)


def _fernet_round_trip(fernet: Fernet, data: bytes) -> bytes:
    return fernet.decrypt(fernet.encrypt(data))


def _median_us(call: Callable[[], Any], rounds: int) -> float:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(rounds):
            call()
        runs.append((time.perf_counter() - started) / rounds * 1e6)
    return statistics.median(runs)
