"""Safe extraction of uploaded .zip archives.

Every limit is checked twice: on the sizes the archive declares (cheap, before writing anything)
and on the bytes actually decompressed (a forged header cannot lie its way past). Member names are
never trusted as paths: absolute names, "..", drive letters and symlinks are refused. On refusal
everything extracted so far is removed, and the message says what was wrong.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

_CHUNK = 1024 * 1024
_RATIO_MIN_BYTES = 1024 * 1024  # tiny members compress absurdly well legitimately (blank files)
_DRIVE = re.compile(r"^[A-Za-z]:")
_JUNK_PREFIXES = ("__MACOSX/",)


class ArchiveRejected(Exception):
    """The archive is unsafe or over a limit; the message is user-readable."""


class _Budget:
    def __init__(self, max_files: int, max_total_bytes: int) -> None:
        self.files_left = max_files
        self.bytes_left = max_total_bytes
        self.max_files = max_files
        self.max_total_bytes = max_total_bytes


def extract_zip_safely(
    path: Path,
    dest: Path,
    *,
    max_files: int = 1000,
    max_total_bytes: int = 1024 * 1024 * 1024,
    max_ratio: int = 100,
    max_depth: int = 0,
) -> list[tuple[Path, str]]:
    """Extract the archive into dest; return [(extracted path, original member name)].

    Raises ArchiveRejected for: not a zip, encrypted members, path traversal or absolute names,
    symlinks, more than max_files files, more than max_total_bytes uncompressed (declared or
    actual), a member or archive compressing better than max_ratio, and zips nested deeper than
    max_depth (0 = a zip inside the zip is refused). Nested members are named "outer.zip/inner".
    """
    dest.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    try:
        return _extract(
            path, dest, _Budget(max_files, max_total_bytes), max_ratio, max_depth, "", created
        )
    except ArchiveRejected:
        _remove(created)
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        EOFError,
        OSError,
    ) as exc:
        _remove(created)
        raise ArchiveRejected(
            f"the archive is damaged or uses an unsupported format ({exc})"
        ) from None


def _extract(
    path: Path,
    dest: Path,
    budget: _Budget,
    max_ratio: int,
    depth_left: int,
    prefix: str,
    created: list[Path],
) -> list[tuple[Path, str]]:
    label = prefix.rstrip("/") or "the archive"
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ArchiveRejected(f"{label} is not a valid zip archive") from None
    with archive:
        members = [info for info in archive.infolist() if _wanted(info)]
        _check_declared(members, budget, max_ratio, label)
        results: list[tuple[Path, str]] = []
        for info in members:
            name = prefix + info.filename
            target = _target(dest, info.filename, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy_member(archive, info, target, budget, name, created)
            if _is_nested_zip(target):
                if depth_left <= 0:
                    raise ArchiveRejected(
                        f"{name} is a zip inside the zip; nested archives are not accepted"
                    )
                inner_dest = target.with_name(target.name + ".d")
                results += _extract(
                    target, inner_dest, budget, max_ratio, depth_left - 1, name + "/", created
                )
                target.unlink()
                continue
            results.append((target, name))
        return results


def _wanted(info: zipfile.ZipInfo) -> bool:
    if info.is_dir() and not _is_symlink(info):
        return False
    base = PurePosixPath(info.filename.replace("\\", "/")).name
    return not (
        info.filename.startswith(_JUNK_PREFIXES) or base.startswith("._") or base == ".DS_Store"
    )


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _check_declared(
    members: list[zipfile.ZipInfo], budget: _Budget, max_ratio: int, label: str
) -> None:
    if len(members) > budget.files_left:
        raise ArchiveRejected(f"{label} holds too many files (the limit is {budget.max_files:,})")
    declared = sum(info.file_size for info in members)
    compressed = sum(info.compress_size for info in members)
    if declared > _RATIO_MIN_BYTES and declared > max_ratio * max(compressed, 1):
        raise ArchiveRejected(
            f"{label} looks like a zip bomb (compression ratio over {max_ratio}:1)"
        )
    if declared > budget.bytes_left:
        raise ArchiveRejected(
            f"{label} expands to {declared / 1e6:,.1f} MB; the limit is "
            f"{budget.max_total_bytes / 1e6:,.1f} MB"
        )
    for info in members:
        if info.flag_bits & 0x1:
            raise ArchiveRejected(f"{info.filename} is password-protected; it cannot be extracted")
        if _is_symlink(info):
            raise ArchiveRejected(f"{info.filename} is a symbolic link; links are not accepted")
        if info.file_size > _RATIO_MIN_BYTES and info.file_size > max_ratio * max(
            info.compress_size, 1
        ):
            raise ArchiveRejected(
                f"{info.filename} looks like a zip bomb (compression ratio over {max_ratio}:1)"
            )


def _target(dest: Path, member: str, name: str) -> Path:
    """A path inside dest for the member, or ArchiveRejected for an unsafe name."""
    normalised = member.replace("\\", "/")
    parts = PurePosixPath(normalised).parts
    if (
        normalised.startswith("/")
        or _DRIVE.match(normalised)
        or "\x00" in normalised
        or any(part == ".." for part in parts)
        or not parts
    ):
        raise ArchiveRejected(
            f"{name!r} has an unsafe path (absolute or with '..'); the archive was refused"
        )
    target = dest.joinpath(*[part for part in parts if part not in ("", ".")])
    root = dest.resolve()
    if not target.resolve().is_relative_to(root):
        raise ArchiveRejected(
            f"{name!r} points outside the extraction folder; the archive was refused"
        )
    stem, suffix, counter = target.stem, target.suffix, 1
    while target.exists():  # duplicate names (case, "./a" vs "a"): keep both
        target = target.with_name(f"{stem}-{counter}{suffix}")
        counter += 1
    return target


def _copy_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    target: Path,
    budget: _Budget,
    name: str,
    created: list[Path],
) -> None:
    if budget.files_left <= 0:
        raise ArchiveRejected(
            f"the archive holds too many files (the limit is {budget.max_files:,})"
        )
    budget.files_left -= 1
    written = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    created.append(target)
    with os.fdopen(fd, "wb") as out, archive.open(info) as source:
        while block := source.read(_CHUNK):
            written += len(block)
            if written > info.file_size:
                raise ArchiveRejected(
                    f"{name} is larger than its header declares; the archive was refused"
                )
            if written > budget.bytes_left:
                raise ArchiveRejected(
                    "the archive expands beyond the limit of "
                    f"{budget.max_total_bytes / 1e6:,.0f} MB"
                )
            out.write(block)
    budget.bytes_left -= written


def _is_nested_zip(target: Path) -> bool:
    with target.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            return False
    try:
        with zipfile.ZipFile(target) as inner:
            return "[Content_Types].xml" not in inner.namelist()  # an Office file is not nested
    except zipfile.BadZipFile:
        return False


def _remove(created: list[Path]) -> None:
    for path in reversed(created):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
