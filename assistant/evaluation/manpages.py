"""French evaluation set from Debian's manpages-fr: query = the NOM line's description, relevant
document = the page, indexed WITHOUT its NOM section (else the query would be copied verbatim).

The groff source is turned into text by a small pure-Python macro stripper rather than by running
man/groff: no external program, no locale or pager surprises, identical output on every machine.
It understands the man(7) macros these pages use, tbl tables and the common escapes; anything it
does not know is dropped, which costs a few words of recall at worst.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.evaluation.dataset import EvalDocument, EvalSet, group_queries

DEFAULT_DIR = Path("/usr/share/man/fr")
# The English pages of the same commands (Debian's manpages and every installed package's own).
ENGLISH_DIR = Path("/usr/share/man")
NAME_HEADINGS = {"NOM", "NAME"}

_NAMED_CHARS = {
    "aq": "'",
    "dq": '"',
    "em": "—",
    "en": "\u2013",
    "hy": "-",
    "mi": "-",
    "lq": "“",
    "rq": "”",
    "oq": "\u2018",
    "cq": "\u2019",
    "Fo": "«",
    "Fc": "»",
    "bu": "•",
    "co": "©",
    "rg": "®",
    "tm": "™",
    "de": "°",
    "ti": "~",
    "ha": "^",
    "rs": "\\",
    "sl": "/",
    "ba": "|",
    "or": "|",
    "pl": "+",
    "eq": "=",
    "mu": "\u00d7",
    "di": "÷",
    "->": "→",
    "<-": "←",
    "<=": "≤",
    ">=": "≥",
    "!=": "≠",
    "+-": "±",
    "'e": "é",
    "`e": "è",
    "^e": "ê",
    "'E": "É",
    "`a": "à",
    "^a": "â",
    ",c": "ç",
    "^o": "ô",
    "^i": "î",
    ":i": "ï",
    "^u": "û",
    "`u": "ù",
    "ss": "ß",
    "Eu": "€",
    "lh": "☜",
}
_ESCAPE = re.compile(
    r"""\\(?:
        f(?:\[[^\]]*\]|\(..|.)        # font change
      | s[+-]?(?:\d+|\(\d\d|\[\d+\])  # size change
      | \*(?:\[[^\]]*\]|\(..|.)       # string interpolation
      | n(?:\[[^\]]*\]|\(..|.)        # number register
      | [NhvwlLoxzbDHSZ]'[^']*'       # escapes with a quoted argument
      | \((?P<two>..)                 # \(xx named character
      | \[(?P<long>[^\]]*)\]          # \[name] named character
      | (?P<one>.)                    # any other single-character escape
    )""",
    re.VERBOSE,
)
_SINGLE = {
    "-": "-",
    "e": "\\",
    "\\": "\\",
    " ": " ",
    "~": " ",
    "0": " ",
    "t": " ",
    "'": "'",
    "`": "`",
    ".": ".",
}
# Macros whose arguments are text (font macros join alternating arguments without spaces).
_FONT_ALTERNATING = {"BR", "RB", "BI", "IB", "IR", "RI"}
# (.TP and .HP take an indent width, never text; .IP's first argument is its tag.)
_TEXT_MACROS = {
    "B",
    "I",
    "SM",
    "SB",
    "SS",
    "UR",
    "MT",
    "OP",
    "SY",
    "Nm",
    "Nd",
    "Ss",
    "Pa",
    "Fl",
    "Ar",
    "Xr",
    "Em",
    "Sy",
    "Li",
    "Dv",
    "Ev",
    "Cm",
}


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _escape(match: re.Match[str], strings: dict[str, str]) -> str:
    whole = match.group(0)
    if whole.startswith("\\*"):
        name = whole[2:].removeprefix("(").removeprefix("[").removesuffix("]")
        return strings.get(name, "")
    if match.group("two") is not None:
        return _NAMED_CHARS.get(match.group("two"), "")
    if match.group("long") is not None:
        name = match.group("long")
        if name.startswith("u") and re.fullmatch(r"u[0-9A-Fa-f]{4,6}", name):
            return chr(int(name[1:], 16))
        return _NAMED_CHARS.get(name, "")
    if match.group("one") is not None:
        return _SINGLE.get(match.group("one"), "")
    return ""


# Strings that po4a/docbook pages define under a condition (.ie \n(.g .ds Aq \(aq).
_DEFAULT_STRINGS = {"Aq": "'", "lq": "“", "rq": "”", "R": "®", "Tm": "™"}


def inline_text(line: str, strings: dict[str, str] | None = None) -> str:
    """Groff escapes in one line of text -> plain characters (\\*(xx from `strings`)."""
    known = _DEFAULT_STRINGS if strings is None else strings
    return _ESCAPE.sub(lambda match: _escape(match, known), line)


def _arguments(rest: str) -> list[str]:
    """Macro arguments: space-separated, "double quoted" groups kept together."""
    return [quoted or bare for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', rest)]


def strip_groff(source: str) -> list[tuple[str, str]]:
    """Groff man(7) source -> [(section heading, section text)], headings upper-cased as written
    ("" for text before the first .SH). Comments, definitions and layout requests are dropped."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    strings = dict(_DEFAULT_STRINGS)
    lines = source.replace("\\\n", "").splitlines()
    in_table = table_format = False
    skip_until_dots = False
    for line in lines:
        if skip_until_dots:
            if line.startswith(".."):
                skip_until_dots = False
            continue
        if line.startswith(('.\\"', "'\\\"", '.\\"', '\\"')) or line.strip() in {".", "'"}:
            continue
        if in_table:
            if line.startswith(".TE"):
                in_table = False
            elif table_format:
                table_format = not line.rstrip().endswith(".")
            elif line.strip() not in {"_", "=", "T{", "T}"} and not line.startswith("."):
                cells = line.replace("T{", " ").replace("T}", " ").split("\t")
                sections[-1][1].append(inline_text("  ".join(cells), strings))
            continue
        if line.startswith((".", "'")):
            match = re.match(r"[.'][ \t]*(\S*)[ \t]*(.*)", line)
            macro, rest = (match.group(1), match.group(2)) if match else ("", "")
            definition = re.search(r"[.']ds\s+(\S+)\s+\"?(.*)", line)
            if definition and macro in {"ds", "if", "ie", "el"}:
                value = inline_text(definition.group(2), strings)
                if macro == "ds":
                    strings[definition.group(1)] = value
                else:  # conditional: groff takes the first branch (.ie \n(.g ...)
                    strings.setdefault(definition.group(1), value)
            elif macro in {"de", "ig", "am"}:
                skip_until_dots = True
            elif macro in {"TS"}:
                in_table = table_format = True
            elif macro in {"SH", "Sh"}:
                heading = inline_text(" ".join(_arguments(rest)), strings).strip()
                sections.append((heading.upper(), []))
            elif macro in _FONT_ALTERNATING:
                sections[-1][1].append(inline_text("".join(_arguments(rest)), strings))
            elif macro in _TEXT_MACROS and rest:
                sections[-1][1].append(inline_text(" ".join(_arguments(rest)), strings))
            elif macro == "IP" and rest:  # the second argument is an indent width
                sections[-1][1].append(inline_text(_arguments(rest)[0], strings))
            continue
        sections[-1][1].append(inline_text(line, strings))
    result = []
    for heading, body in sections:
        text = "\n".join(part.strip() for part in body if part.strip())
        if heading or text:
            result.append((heading, text))
    return result


_DESCRIPTION_SEPARATOR = re.compile("\\s+[-\u2013\u2014]+\\s+")


def name_description(name_section: str) -> str | None:
    """The description after the dash of a NAME/NOM line ("ls - Afficher ..." -> "Afficher ...")."""
    parts = _DESCRIPTION_SEPARATOR.split(" ".join(name_section.split()), maxsplit=1)
    if len(parts) != 2 or len(parts[1].split()) < 2:
        return None
    return parts[1].strip()


def read_page(path: Path) -> str | None:
    """Decoded groff source, or None for a redirect (.so) page."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    source = decode(raw)
    first = next((line for line in source.splitlines() if line.strip()), "")
    return None if first.startswith(".so ") else source


@dataclass(frozen=True)
class ManPage:
    name: str  # "ls.1", the file name without .gz: the same command in every language
    section_dir: str  # "man1"
    description: str  # the NAME/NOM line after the dash
    body: str  # the page without its NAME/NOM section


def read_pages(root: Path) -> list[ManPage]:
    """Every real page under `root` (man*/*.N[.gz], symlinks and .so redirects skipped) with a
    usable NAME description and a body of at least 20 words, in path order."""
    pages = []
    for section in sorted(p for p in root.glob("man*") if p.is_dir()):
        pages.extend(read_pages_in(section))
    return pages


def build_manpages_set(root: Path = DEFAULT_DIR) -> EvalSet:
    """French set: every page of `root` with a usable NOM description. Raises FileNotFoundError
    when the folder holds no page."""
    pages = read_pages(root)
    if not pages:
        raise FileNotFoundError(
            f"no manual page under {root}: install Debian's manpages-fr "
            "(apt-get install -y manpages-fr)"
        )
    eval_set = EvalSet("manpages-fr", "fr", str(root))
    pairs: list[tuple[str, str, int]] = []
    for page in pages:
        doc_id = len(eval_set.documents) + 1
        eval_set.documents.append(EvalDocument(doc_id, page.name, page.body))
        pairs.append((page.name, page.description, doc_id))
    eval_set.queries = group_queries(pairs)
    return eval_set


def build_crosslingual_sets(
    french_root: Path = DEFAULT_DIR, english_root: Path = ENGLISH_DIR
) -> list[EvalSet]:
    """Two cross-lingual sets from the commands documented in both languages (Debian's
    manpages-fr beside the English pages of the same file name and section):

    - "manpages-fr>en": the French NOM line is the query, the English pages are the documents;
    - "manpages-en>fr": the English NAME line is the query, the French pages are the documents.

    A query shares almost no word with its document, so the set measures what the embedder does
    across languages (sparse search is the floor). Raises FileNotFoundError without pages."""
    french = {(p.section_dir, p.name): p for p in read_pages(french_root)}
    if not french:
        raise FileNotFoundError(f"no manual page under {french_root}: install manpages-fr")
    english: dict[tuple[str, str], ManPage] = {}
    for section_dir in sorted({key[0] for key in french}):
        # Only the pages translated into French: the English tree holds thousands more.
        files = [
            path
            for (section, name) in sorted(french)
            if section == section_dir
            for path in (english_root / section / f"{name}.gz", english_root / section / name)
            if path.is_file()
        ]
        for page in read_pages_from(files, section_dir):
            english[(section_dir, page.name)] = page
    common = sorted(set(french) & set(english))
    if not common:
        raise FileNotFoundError(f"no English page under {english_root} matches a French one")
    sets = []
    for name, query_lang, doc_lang, queries_from, documents_from, doc_root in (
        ("manpages-fr>en", "fr", "en", french, english, english_root),
        ("manpages-en>fr", "en", "fr", english, french, french_root),
    ):
        eval_set = EvalSet(name, doc_lang, str(doc_root), query_language=query_lang)
        pairs: list[tuple[str, str, int]] = []
        for key in common:
            doc_id = len(eval_set.documents) + 1
            eval_set.documents.append(EvalDocument(doc_id, key[1], documents_from[key].body))
            pairs.append((key[1], queries_from[key].description, doc_id))
        eval_set.queries = group_queries(pairs)
        sets.append(eval_set)
    return sets


def read_pages_in(section: Path) -> list[ManPage]:
    """read_pages for one section folder (man1, man5, ...) of an English manual tree."""
    if not section.is_dir():
        return []
    return read_pages_from(sorted(p for p in section.iterdir() if p.is_file()), section.name)


def read_pages_from(files: list[Path], section_dir: str) -> list[ManPage]:
    pages = []
    for path in files:
        if path.is_symlink():
            continue
        try:
            source = read_page(path)
        except (OSError, EOFError, ValueError):  # gzip.BadGzipFile is an OSError
            continue
        if source is None:
            continue
        sections = strip_groff(source)
        name_text = next((text for head, text in sections if head in NAME_HEADINGS), "")
        description = name_description(name_text)
        body = "\n\n".join(
            f"{head}\n{text}" if head else text
            for head, text in sections
            if head not in NAME_HEADINGS
        )
        if description is None or len(body.split()) < 20:
            continue
        pages.append(ManPage(path.name.removesuffix(".gz"), section_dir, description, body))
    return pages
