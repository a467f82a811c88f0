"""Model fields that keep conversation text out of a database dump when RAG_FIELD_KEY_FILE is set
(assistant.chat.fieldkeys holds the keys and the stored formats).

Values are encrypted on the way to the database (get_db_prep_save: save, update, bulk_update)
and decrypted on the way back (from_db_value: instances, values(), values_list()); in Python
they are always plain text. Rows written before encryption was enabled read as they are, and
`manage.py fieldkey encrypt-existing` encrypts them. The columns stay `text` / `json`: no schema
change either way. SQL cannot search or compare encrypted text; filter in Python after reading.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from assistant.chat import fieldkeys

# Where EncryptedJSONField keeps the encrypted part of an object.
SEALED_KEY = "enc:sealed"


class EncryptedTextField(models.TextField):
    """Free text (a question, an answer, a title, a feedback reason) stored encrypted."""

    description = "Text, encrypted at rest when RAG_FIELD_KEY_FILE is set"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return fieldkeys.reveal(value) if isinstance(value, str) else value

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        value = super().get_db_prep_save(value, connection)
        return fieldkeys.seal(value) if isinstance(value, str) else value


class EncryptedJSONField(models.JSONField):
    """A JSON object whose members other than `clear_keys` are stored as one encrypted string
    (under SEALED_KEY) when a key is configured. `clear_keys` are the members SQL reads (JSON key
    lookups and aggregates); a key lookup on any other member finds nothing while encryption is
    on. Values that are not objects are stored as they are."""

    description = "JSON object, encrypted at rest except for its clear keys"

    def __init__(self, *args: Any, clear_keys: tuple[str, ...] = (), **kwargs: Any) -> None:
        self.clear_keys = tuple(clear_keys)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.clear_keys:
            kwargs["clear_keys"] = self.clear_keys
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        value = super().from_db_value(value, expression, connection)
        if isinstance(value, dict) and isinstance(value.get(SEALED_KEY), str):
            sealed = value.pop(SEALED_KEY)
            value.update(json.loads(fieldkeys.reveal(sealed), cls=self.decoder))
        return value

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        if isinstance(value, dict):
            value = self.seal_object(value)
        return super().get_db_prep_save(value, connection)

    def seal_object(self, value: dict[str, Any], keys: fieldkeys.FieldKeys | None = None) -> Any:
        """The stored form of an object: clear keys as they are, the rest as one token."""
        keys = keys if keys is not None else fieldkeys.active_keys()
        hidden = {k: v for k, v in value.items() if k not in self.clear_keys}
        if keys is None or not hidden:
            return value
        clear = {k: v for k, v in value.items() if k in self.clear_keys}
        text = json.dumps(hidden, cls=self.encoder, ensure_ascii=False)
        return {**clear, SEALED_KEY: fieldkeys.seal(text, keys)}


class DigestCharField(models.CharField):
    """Text that is only ever compared for equality (the semantic cache's key terms), stored as
    a keyed digest when a key is configured, so lookups keep working. The value read back is the
    digest, not the text: nothing may display it."""

    description = "Text compared for equality, stored as a keyed digest when encryption is on"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return fieldkeys.digest(value) if isinstance(value, str) else value
