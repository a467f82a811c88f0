"""The groff macro stripper and the French set builder, on inline samples."""

import gzip
from pathlib import Path

import pytest

from assistant.evaluation.manpages import (
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
