"""The groff macro stripper and the French set builder, on inline samples."""

import gzip
from pathlib import Path

import pytest

from assistant.evaluation.manpages import (
    build_crosslingual_sets,
    build_manpages_set,
    inline_text,
    name_description,
    strip_groff,
)

SAMPLE = r""".\" -*- coding: UTF-8 -*-
'\" t
.\" Copyright and other comments the reader never sees
.ie \n(.g .ds Aq \(aq
.el       .ds Aq '
.TH CHIFFRER 1 "Mars 2024" "outils 1.0" "Commandes"
.de XX
.B should never appear
..
.SH NOM
chiffrer \- Chiffrer un fichier avec une cl\('e secr\(`ete
.SH SYNOPSIS
\fBchiffrer\fP [\fI\,OPTION\/\fP]... \fIFICHIER\fR
.SH DESCRIPTION
.PP
Le programme \fBchiffrer\fP prot\(`ege l\*(Aqarchive\ : voir
.BR gpg (1)
et
.IR age (1).
.TP 8
\fB\-k\fP, \fB\-\-key\fP=\fICL\['E]\fP
utiliser la \(Foclef\(Fc donn\('ee
.IP \(bu 2
premier point
.SS "Codes de retour"
.TS
allbox;
l l.
0	succ\(`es
T{
1
T}	erreur
.TE
.SH VOIR AUSSI
.BR gpg (1)
"""


def test_strip_groff_splits_sections_and_removes_macros():
    sections = dict(strip_groff(SAMPLE))
    assert list(sections) == ["NOM", "SYNOPSIS", "DESCRIPTION", "VOIR AUSSI"]
    assert sections["NOM"] == "chiffrer - Chiffrer un fichier avec une clé secrète"
    assert sections["SYNOPSIS"] == "chiffrer [OPTION]... FICHIER"
    description = sections["DESCRIPTION"]
    assert "Le programme chiffrer protège l'archive : voir" in description
    assert "gpg(1)" in description and "age(1)." in description
    assert "-k, --key=CLÉ" in description
    assert "utiliser la «clef» donnée" in description
    assert "• premier point" not in description  # tag and text are separate lines
    assert "•" in description and "premier point" in description
    assert "Codes de retour" in description
    assert "0  succès" in description and "erreur" in description
    for leftover in ("\\f", "\\(", ".TP", "allbox", "l l.", "should never appear", "Copyright"):
        assert leftover not in "\n".join(sections.values())


def test_inline_escapes():
    assert inline_text(r"\fBgras\fR \-\-x \e \(em \[u00E9]t\('e\&") == "gras --x \\ — été"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ls - Afficher le contenu de répertoires", "Afficher le contenu de répertoires"),
        ("signal \u2013 Panorama des signaux", "Panorama des signaux"),
        ("utmp, wtmp - Enregistrements de connexion", "Enregistrements de connexion"),
        ("sans-tiret seulement", None),
        ("x - un", None),  # a one-word description is not a usable question
    ],
)
def test_name_description(line, expected):
    assert name_description(line) == expected


def _write(folder: Path, name: str, text: str, *, compress: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name + (".gz" if compress else ""))
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def _page(name: str, description: str, words: str) -> str:
    return f".TH {name.upper()} 1\n.SH NOM\n{name} \\- {description}\n.SH DESCRIPTION\n{words}\n"


def test_build_manpages_set_on_a_fake_corpus(tmp_path):
    body = "Un texte assez long pour être indexé " * 5
    _write(tmp_path / "man1", "chiffrer.1", SAMPLE)
    _write(tmp_path / "man1", "copier.1", _page("copier", "Copier des fichiers", body))
    _write(tmp_path / "man1", "cp.1", _page("cp", "Copier des fichiers", body), compress=False)
    _write(tmp_path / "man1", "redirect.1", ".so man1/copier.1\n")
    (tmp_path / "man1" / "lien.1.gz").symlink_to(tmp_path / "man1" / "copier.1.gz")
    _write(tmp_path / "man8", "court.8", _page("court", "Page trop courte", "trois mots seulement"))
    _write(tmp_path / "man8", "sansnom.8", ".TH X 8\n.SH DESCRIPTION\n" + body)

    eval_set = build_manpages_set(tmp_path)

    names = {doc.doc_id: doc.name for doc in eval_set.documents}
    assert sorted(names.values()) == ["chiffrer.1", "copier.1", "cp.1"]
    queries = {q.text: {names[d] for d in q.relevant} for q in eval_set.queries}
    assert queries == {
        "Chiffrer un fichier avec une clé secrète": {"chiffrer.1"},
        "Copier des fichiers": {"copier.1", "cp.1"},  # one question, two relevant pages
    }
    chiffrer = next(doc for doc in eval_set.documents if doc.name == "chiffrer.1")
    assert "Chiffrer un fichier" not in chiffrer.text  # the NOM section is not indexed
    assert chiffrer.text.startswith("SYNOPSIS\nchiffrer [OPTION]")


def test_build_manpages_set_without_pages_says_what_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match="manpages-fr"):
        build_manpages_set(tmp_path)


def _english(name: str, description: str, words: str) -> str:
    return f".TH {name.upper()} 1\n.SH NAME\n{name} \\- {description}\n.SH DESCRIPTION\n{words}\n"


def test_crosslingual_sets_pair_the_same_command_in_both_languages(tmp_path):
    french, english = tmp_path / "fr", tmp_path / "en"
    corps = "Un texte assez long pour être indexé dans le jeu " * 4
    body = "A text long enough to be indexed in the evaluation set " * 4
    _write(french / "man1", "cp.1", _page("cp", "Copier des fichiers", corps))
    _write(french / "man1", "rm.1", _page("rm", "Effacer des fichiers", corps))
    _write(french / "man5", "seulfr.5", _page("seulfr", "Page sans traduction", corps))
    _write(english / "man1", "cp.1", _english("cp", "copy files and directories", body))
    _write(english / "man1", "rm.1", _english("rm", "remove files or directories", body))
    _write(english / "man1", "onlyen.1", _english("onlyen", "not translated at all", body))

    fr_en, en_fr = build_crosslingual_sets(french, english)

    assert (fr_en.name, fr_en.question_language, fr_en.language) == ("manpages-fr>en", "fr", "en")
    assert (en_fr.name, en_fr.question_language, en_fr.language) == ("manpages-en>fr", "en", "fr")
    for eval_set, queries in (
        (fr_en, {"Copier des fichiers": "cp.1", "Effacer des fichiers": "rm.1"}),
        (en_fr, {"copy files and directories": "cp.1", "remove files or directories": "rm.1"}),
    ):
        names = {doc.doc_id: doc.name for doc in eval_set.documents}
        assert sorted(names.values()) == ["cp.1", "rm.1"]  # only pages in both languages
        assert {q.text: names[next(iter(q.relevant))] for q in eval_set.queries} == queries
    assert all("indexed" in doc.text for doc in fr_en.documents)  # English pages
    assert all("indexé" in doc.text for doc in en_fr.documents)  # French pages
    assert fr_en.sliced(1).question_language == "fr"


def test_crosslingual_sets_without_english_pages_say_so(tmp_path):
    _write(tmp_path / "fr" / "man1", "cp.1", _page("cp", "Copier des fichiers", "mot " * 30))
    with pytest.raises(FileNotFoundError, match="English page"):
        build_crosslingual_sets(tmp_path / "fr", tmp_path / "en")


FAQ_EN = """The Debian GNU/Linux FAQ

Table of Contents

1. Definitions and overview
    1.1. What is this FAQ?
    1.2. What is Debian GNU/Linux?

Chapter 1. Definitions and overview

1.1. What is this FAQ?

    This document gives frequently asked questions (with their answers!) about the Debian
    distribution and about the Debian project, with pointers to other documentation.

1.2. What is Debian GNU/Linux and how does it
compare with other distributions?

    Debian GNU/Linux is a particular distribution of the Linux operating system, and numerous
    packages that run on it.

1.2.1. Full featured

    Debian includes more than 59100 software packages at present.

1.3. Overview

    A section whose title is no question still holds text that other questions may need.
"""


def test_debian_faq_sections_fold_subsections_and_keep_wrapped_questions():
    from assistant.evaluation.debian_faq import parse_faq

    sections = parse_faq(FAQ_EN)
    assert [s.number for s in sections] == ["1.1", "1.2", "1.3"]
    second = sections[1]
    assert second.heading == (
        "What is Debian GNU/Linux and how does it compare with other distributions?"
    )
    assert "numerous packages" in second.answer.replace("\n", " ")
    assert "59100 software packages" in second.answer  # the sub-section belongs to it
    assert "compare with other" not in second.answer  # the heading is the query, not the text
    assert sections[0].answer.startswith("This document gives")


def test_debian_faq_sets_pair_sections_across_languages(tmp_path):
    from assistant.evaluation.debian_faq import build_faq_sets

    french = (
        FAQ_EN.replace("Chapter 1.", "Chapitre 1.")
        .replace("What is this FAQ?", "Qu'est-ce que cette FAQ ?")
        .replace("This document gives", "Ce document donne")
    )
    (tmp_path / "debian-faq.en.txt.gz").write_bytes(gzip.compress(FAQ_EN.encode()))
    (tmp_path / "debian-faq.fr.txt.gz").write_bytes(gzip.compress(french.encode()))

    fr, en, fr_en, en_fr = build_faq_sets(tmp_path)

    assert [s.name for s in (fr, en, fr_en, en_fr)] == [
        "debian-faq-fr", "debian-faq-en", "debian-faq-fr>en", "debian-faq-en>fr",
    ]  # fmt: skip
    assert len(en.documents) == 3 and len(en.queries) == 2  # 1.3 asks nothing
    question = next(q for q in fr_en.queries if q.text == "Qu'est-ce que cette FAQ ?")
    assert fr_en.documents[next(iter(question.relevant)) - 1].text.startswith("This document")
    question = next(q for q in en_fr.queries if q.text == "What is this FAQ?")
    assert en_fr.documents[next(iter(question.relevant)) - 1].text.startswith("Ce document")
    with pytest.raises(FileNotFoundError, match="debian-faq"):
        build_faq_sets(tmp_path / "missing")
