"""Safety checks on Office Open XML packages (DOCX, PPTX, XLSX) before any parser reads them.

An Office file is a zip of XML parts: it can hide a decompression bomb, and an XML part can
declare entities that expand exponentially ("billion laughs") or reference external files (XXE).
Office itself never writes a DOCTYPE, so any DTD is refused outright.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from ingestion.pipeline.errors import ParseError

MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200  # XML compresses well, but not this well
MAX_MEMBERS = 10_000


def check_office_package(path: Path, original_name: str) -> None:
    """Raise ParseError if the package is a zip bomb, encrypted, or has an XML part with a DTD."""
    try:
        with zipfile.ZipFile(path) as package:
            infos = package.infolist()
            _check_sizes(infos, original_name)
            for info in infos:
                if info.flag_bits & 0x1:
                    raise ParseError(f"{original_name} has encrypted parts; it cannot be read")
                if info.filename.endswith((".xml", ".rels")):
                    _check_xml_prolog(package, info, original_name)
    except zipfile.BadZipFile as exc:
        raise ParseError(f"{original_name} is a damaged Office file ({exc})") from None


def _check_sizes(infos: list[zipfile.ZipInfo], original_name: str) -> None:
    if len(infos) > MAX_MEMBERS:
        raise ParseError(
            f"{original_name} has {len(infos):,} parts; this is not a normal Office file"
        )
    total = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos) or 1
    if total > MAX_UNCOMPRESSED_BYTES or total / compressed > MAX_RATIO:
        raise ParseError(
            f"{original_name} expands to {total / 1e6:,.0f} MB from {compressed / 1e6:,.1f} MB "
            "(a decompression bomb?); it was not opened"
        )


def _check_xml_prolog(package: zipfile.ZipFile, info: zipfile.ZipInfo, original_name: str) -> None:
    """Stream the part until its root element starts: a DTD can only appear before it."""
    try:
        with package.open(info) as stream:
            for _event, _element in iterparse(stream, events=("start",), forbid_dtd=True):
                break
    except DefusedXmlException:
        raise ParseError(
            f"{original_name} contains an XML document type declaration in {info.filename} "
            "(entity expansion is blocked); it was not opened"
        ) from None
    except SyntaxError as exc:  # xml.etree.ElementTree.ParseError
        raise ParseError(f"{original_name} has malformed XML in {info.filename} ({exc})") from None
    except zipfile.BadZipFile as exc:
        raise ParseError(f"{original_name} is a damaged Office file ({exc})") from None
