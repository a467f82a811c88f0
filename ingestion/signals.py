"""Signals ingestion sends, for the layers above it to act on without ingestion knowing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that retires document versions (a new version replaced one, or a
# document or collection is deleted), with `document_ids`, a list of Document primary keys, before
# the rows are deleted. The chat app drops semantic-cache entries built from them.
documents_retired = Signal()
