"""reST stripping and the English set builder, on a fake documentation tree."""

from pathlib import Path

import pytest

from assistant.evaluation.pydocs import build_pydocs_set, inline_rst, rst_to_text

SAMPLE = """\
.. _json-module:

:mod:`json` --- JSON encoder and decoder
========================================

.. module:: json
   :synopsis: Encode and decode the JSON format,
              with a wrapped second line.

.. moduleauthor:: Bob Ippolito <bob@redivi.com>

**Source code:** :source:`Lib/json/__init__.py`

--------------

`JSON <https://json.org>`_, specified by :rfc:`7159`, is a *lightweight* format [#f1]_.

Basic usage::

    >>> import json

.. function:: dumps(obj, *, skipkeys=False)
   :noindex:

   Serialize ``obj`` to a :class:`str`, see :func:`~json.encoder.JSONEncoder.encode`.

.. note::
   Be cautious with untrusted input.

.. module:: json.tool
   :synopsis: A command line to validate and pretty-print JSON.

Command line
------------
"""


def test_rst_to_text_keeps_content_and_drops_markup():
    title, text, synopses = rst_to_text(SAMPLE)
    assert title == "json — JSON encoder and decoder"
    assert synopses == [
        "Encode and decode the JSON format, with a wrapped second line.",
        "A command line to validate and pretty-print JSON.",
    ]
    assert "JSON, specified by RFC 7159, is a lightweight format." in text
    assert "Basic usage:" in text and ">>> import json" in text
    assert "dumps(obj, *, skipkeys=False)" in text
    assert "Serialize obj to a str, see encode." in text  # ~ shows the last component
    assert "Be cautious with untrusted input." in text
    assert "Command line" in text
    for leftover in (
        "synopsis",
        "wrapped second line",
        "moduleauthor",
        "noindex",
        "===",
        "---",
        ":mod:",
        "json-module",
        "JSON encoder and decoder",
    ):
        assert leftover not in text


def test_inline_rst():
    assert inline_rst(":pep:`8` and :ref:`the guide <guide>` ``x``") == "PEP 8 and the guide x"


def test_build_pydocs_set_on_a_fake_tree(tmp_path: Path):
    library = tmp_path / "_sources" / "library"
    library.mkdir(parents=True)
    (library / "json.rst.txt").write_text(SAMPLE + "More words about encoders. " * 10)
    (library / "index.rst.txt").write_text("Library\n=======\n\n.. toctree::\n\n   json\n")
    (library / "tiny.rst.txt").write_text(".. module:: tiny\n   :synopsis: Too short a page.\n")

    eval_set = build_pydocs_set(tmp_path)

    assert [doc.name for doc in eval_set.documents] == ["library/json"]
    assert [(q.query_id, q.text) for q in eval_set.queries] == [
        ("library/json", "Encode and decode the JSON format, with a wrapped second line.")
    ]
    assert eval_set.queries[0].relevant == {eval_set.documents[0].doc_id}
    assert "Encode and decode" not in eval_set.documents[0].text


def test_build_pydocs_set_without_docs_says_what_to_install(tmp_path):
    (tmp_path / "_sources" / "library").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="library"):
        build_pydocs_set(tmp_path)
