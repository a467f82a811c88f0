"""English evaluation set from Debian's python3.X-doc: query = a library module's synopsis (the
one-line summary Sphinx shows in the module index, not in the page), relevant document = the
module page, indexed without its title (the counterpart of a man page's NAME line).

Reads the reStructuredText sources the package ships (html/_sources/library/*.rst.txt): plain text
with light markup, simpler and more faithful to strip than the rendered HTML.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.evaluation.dataset import EvalDocument, EvalSet, group_queries

DEFAULT_DIRS = (Path("/usr/share/doc/python3.11/html"), Path("/usr/share/doc/python3-doc/html"))

_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+<>_:.])\1{2,}\s*$")
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w:-]+)::\s*(.*)$")
_OPTION = re.compile(r"^\s+:[\w -]+:(\s.*)?$")
_LABEL = re.compile(r"^\s*\.\.\s+(_[^:]+:|\[[^\]]+\]|\|[^|]+\|).*$")
# Directives whose argument is content (a signature, a caption, an option name).
_SIGNATURE_DIRECTIVES = {
    "function",
    "method",
    "class",
    "data",
    "attribute",
    "exception",
    "decorator",
    "describe",
    "opcode",
    "cmdoption",
    "option",
    "envvar",
    "classmethod",
    "staticmethod",
    "coroutinemethod",
    "coroutinefunction",
    "pdbcommand",
    "abstractmethod",
    "rubric",
    "seealso",
    "note",
    "warning",
    "attention",
    "caution",
    "important",
    "tip",
    "hint",
    "admonition",
    "topic",
    "sidebar",
}
_ROLE = re.compile(r":(?:[\w+.-]+:)?([\w+.-]+):`([^`]*)`")
_LINK = re.compile(r"`([^`<]*?)\s*(?:<[^>]*>)?`__?")
_LITERAL = re.compile(r"``(.+?)``")
_EMPHASIS = re.compile(r"\*{1,2}([^*\s][^*]*?)\*{1,2}")
_FOOTNOTE_REF = re.compile(r"\s?\[(?:#[\w-]*|\d+)\]_")


def _role_text(match: re.Match[str]) -> str:
    role, text = match.group(1), match.group(2)
    if "<" in text and text.rstrip().endswith(">"):
        text = text[: text.rindex("<")].strip()
    if text.startswith("~"):  # Sphinx shows only the last component of ~a.b.c
        text = text[1:].rsplit(".", 1)[-1]
    text = text.lstrip("!")
    # Sphinx renders :rfc:`7159` as "RFC 7159" and :pep:`8` as "PEP 8".
    return f"{role.upper()} {text}" if role in {"rfc", "pep"} else text


def inline_rst(line: str) -> str:
    """reST inline markup -> plain text (roles, links, literals, emphasis, footnote refs)."""
    line = _ROLE.sub(_role_text, line)
    line = _LITERAL.sub(r"\1", line)
    line = _LINK.sub(r"\1", line)
    line = _FOOTNOTE_REF.sub("", line)
    return _EMPHASIS.sub(r"\1", line)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def rst_to_text(source: str) -> tuple[str, str, list[str]]:
    """reST source -> (title, body text without the title, module synopses).

    Directive options (":synopsis: ...", ":noindex:") and their continuation lines are dropped;
    metadata directives (module, index, toctree, sectionauthor, ...) vanish; a signature directive
    keeps its argument; section adornments disappear, the heading text stays.
    """
    lines = source.splitlines()
    title = ""
    body: list[str] = []
    synopses: list[str] = []
    directive_indent: int | None = None  # set while reading a directive's option block
    option: tuple[str, int] | None = None  # (name, indent) of the option being read
    for index, line in enumerate(lines):
        stripped = line.strip()
        if directive_indent is not None:
            if not stripped:
                directive_indent = option = None
            elif _OPTION.match(line) and _indent(line) > directive_indent:
                name, _, value = stripped[1:].partition(":")
                option = (name, _indent(line))
                if name == "synopsis":
                    synopses.append(value.strip())
                continue
            elif option is not None and _indent(line) > option[1]:
                if option[0] == "synopsis":
                    synopses[-1] += " " + stripped
                continue
            else:
                directive_indent = option = None
        if _ADORNMENT.match(line) or _LABEL.match(line) or stripped == "::":
            continue
        directive = _DIRECTIVE.match(line)
        if directive:
            directive_indent, option = _indent(line), None
            if directive.group(2) in _SIGNATURE_DIRECTIVES and directive.group(3):
                body.append(inline_rst(directive.group(3)))
            continue
        if not title and stripped and index + 1 < len(lines) and _ADORNMENT.match(lines[index + 1]):
            title = inline_rst(stripped).replace(" --- ", " — ")
            continue
        # "Example::" introduces a literal block: the rendered page shows "Example:".
        body.append(inline_rst(line.rstrip()[:-1] if line.rstrip().endswith("::") else line))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(part.rstrip() for part in body)).strip()
    return title, text, [inline_rst(synopsis) for synopsis in synopses]


def find_docs_dir(candidates: tuple[Path, ...] = DEFAULT_DIRS) -> Path:
    for candidate in candidates:
        if (candidate / "_sources" / "library").is_dir():
            return candidate
    found = sorted(Path("/usr/share/doc").glob("python3*/html/_sources/library"))
    if found:
        return found[-1].parent.parent
    raise FileNotFoundError(
        "no Python documentation sources found: install Debian's python3.11-doc "
        "(apt-get install -y python3.11-doc)"
    )


def build_pydocs_set(root: Path | None = None) -> EvalSet:
    """One query per library page that declares a module with a synopsis. Raises
    FileNotFoundError when the documentation is not installed."""
    docs = root or find_docs_dir()
    files = sorted((docs / "_sources" / "library").glob("*.rst.txt"))
    if not files:
        raise FileNotFoundError(f"no library/*.rst.txt under {docs}/_sources")
    eval_set = EvalSet("python-docs", "en", str(docs))
    pairs: list[tuple[str, str, int]] = []
    for path in files:
        _title, text, synopses = rst_to_text(path.read_text(encoding="utf-8", errors="replace"))
        if not synopses or len(synopses[0].split()) < 2 or len(text.split()) < 20:
            continue
        name = "library/" + path.name.removesuffix(".rst.txt")
        doc_id = len(eval_set.documents) + 1
        eval_set.documents.append(EvalDocument(doc_id, name, text))
        pairs.append((name, synopses[0], doc_id))
    eval_set.queries = group_queries(pairs)
    return eval_set
