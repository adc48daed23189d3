"""Every file the tool writes: checked before any work starts, then written whole or not
at all.

``check_outputs`` runs before the workbook is solved, so that a mistake in an output path
(the input itself, a folder, two outputs on one file, a folder that cannot be written, a
name the file system cannot hold) costs a sentence, not a solve. ``atomic_output`` writes
each file under a temporary name beside its target and renames it over the target only
once it is complete: a full disk, a signal or an error leaves the earlier file as it was
and no temporary file behind. Temporaries left by a process killed outright (``kill -9``)
carry a prefix of their own; ``remove_stale_temporaries`` deletes those older than a day.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from optimizer.errors import InputError, Problem, StockpileError
from optimizer.files import not_a_regular_file, shown_path, shown_text

TEMPORARY_PREFIX = ".stockpile-"
TEMPORARY_SUFFIX = ".tmp"
ROWS_PREFIX = "stockpile-rows-"  # xlsxwriter's row files, in the system's temporary folder
STALE_AFTER_SECONDS = 24 * 3600
_NAME_IN_TEMPORARY = 40  # characters of the target's name kept in its temporary's name


class OutputError(StockpileError):
    """A file could not be written (a full disk, a lost permission); the earlier file of
    that name, if any, is unchanged."""


@dataclass(frozen=True)
class Output:
    """A file a command will write: ``what`` it is ("the report") and the ``option``
    that chooses it ("--out"), both for the sentence that refuses it."""

    path: Path
    what: str
    option: str


def check_outputs(outputs: Iterable[Output], inputs: Mapping[str, Path | str]) -> None:
    """Refuse, before any work, every output that could not be written or would destroy
    something: an output that is one of ``inputs`` ({what it is: path}; also through a
    link), a folder or another non-regular file, the same file as another output, a
    name longer than the file system allows, or a folder that cannot be created or
    written. Writes nothing (but a probe file, removed at once). One ``InputError``
    lists every problem.
    """
    outputs = list(outputs)
    sources = {what: Path(path) for what, path in inputs.items()}
    problems: list[Problem] = []
    for index, output in enumerate(outputs):
        path = Path(output.path)
        shown = shown_path(path)
        fix = f"choose another file with {output.option}"
        too_long = _name_problem(path, output.what, fix)  # before any stat: ENAMETOOLONG
        if too_long:
            problems.append(Problem(output.option, too_long))
            continue
        clash = next((what for what, source in sources.items() if _same_file(path, source)),
                     None)
        if clash is not None:
            problems.append(Problem(output.option, f"{output.what} {shown} would overwrite "
                                    f"{clash} {shown_path(sources[clash])}; {fix}"))
            continue
        earlier = next((other for other in outputs[:index]
                        if _same_file(path, Path(other.path))), None)
        if earlier is not None:
            problems.append(Problem(output.option, f"{output.what} {shown} is the same file "
                                    f"as {earlier.what} ({earlier.option}); {fix}"))
            continue
        if path.is_dir():
            problems.append(Problem(output.option, f"{output.what} {shown} would replace a "
                                                   f"folder of that name; {fix}"))
            continue
        kind = _special_kind(path)
        if kind is not None:
            problems.append(Problem(output.option, f"{output.what} {shown} is "
                                                   f"{kind}, not a regular file; {fix}"))
            continue
        problem = _folder_problem(path, output.what, fix)
        if problem:
            problems.append(Problem(output.option, problem))
    if problems:
        raise InputError(problems)


def _special_kind(path: Path) -> str | None:
    """What an existing ``path`` is when not a regular file ("a FIFO (named pipe)"), else
    None (also when it does not exist yet)."""
    try:
        return not_a_regular_file(path)
    except OSError:
        return None


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _folder_problem(path: Path, what: str, fix: str) -> str | None:
    """Whether the folder of ``path`` can be written, or (when missing) created: a
    probe file is made and removed in it, or in its nearest existing parent."""
    existing = _nearest_existing(path.parent)
    if not existing.is_dir():
        return (f"the folder of {what} {shown_path(path)} cannot be made: "
                f"{shown_path(existing)} is a file; {fix}")
    try:
        probe = existing / f"{TEMPORARY_PREFIX}probe-{secrets.token_hex(6)}{TEMPORARY_SUFFIX}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        return (f"{what} {shown_path(path)} cannot be written: {shown_path(existing)}: "
                f"{exc.strerror or exc}; {fix}")
    return None


def _nearest_existing(folder: Path) -> Path:
    """``folder``, or its nearest parent that exists (the one a missing folder would be
    made in)."""
    return next(parent for parent in (folder, *folder.parents) if parent.exists())


def _name_problem(path: Path, what: str, fix: str) -> str | None:
    try:
        longest = os.pathconf(_nearest_existing(path.parent), "PC_NAME_MAX")
    except (OSError, ValueError):
        longest = 255
    length = len(os.fsencode(path.name))
    if length > longest:
        return (f"the name of {what} {shown_text(path.name[:40])}… is {length} bytes, longer "
                f"than the {longest} this file system allows; {fix}")
    return None


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write the whole file to; when the block
    ends without an exception, rename it over ``path`` (atomic on one file system), else
    delete it and leave ``path`` as it was.

    An ``OSError`` while writing (``ENOSPC``, ``EFBIG``, ``EACCES``; also as xlsxwriter's
    ``FileCreateError``) becomes an ``OutputError`` that names ``path`` and says the
    earlier file is unchanged.
    """
    path = Path(path)
    existed = path.exists()
    temporary = path.parent / (f"{TEMPORARY_PREFIX}{path.name[:_NAME_IN_TEMPORARY]}-"
                               f"{secrets.token_hex(6)}{TEMPORARY_SUFFIX}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created with the usual permissions (as ``open`` would), not mkstemp's private ones.
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        yield temporary
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        cause = _os_error(exc)
        if cause is None:
            raise
        _drop_failed_writers(exc)
        kept = (f"the earlier {shown_path(path.name)} is unchanged" if existed
                else "nothing was written")
        raise OutputError(f"could not write {shown_path(path)}: {_reason(cause)}; {kept}") from exc


def _drop_failed_writers(exc: BaseException) -> None:
    """Close, silently, a ``ZipFile`` that the failed write abandoned in a frame of the
    traceback (xlsxwriter's, on a full disk): left open, the garbage collector would
    later try to finish the zip on the full disk and print a second error ("Exception
    ignored in ZipFile.__del__")."""
    chained: BaseException | None = exc
    while chained is not None:
        trace = chained.__traceback__
        while trace is not None:
            for value in list(trace.tb_frame.f_locals.values()):
                if isinstance(value, zipfile.ZipFile) and value.fp is not None:
                    with contextlib.suppress(Exception):
                        value.fp.close()
                    value.fp = None  # ZipFile.close (and __del__) now do nothing
            trace = trace.tb_next
        chained = chained.__cause__ or chained.__context__


def _os_error(exc: BaseException) -> OSError | None:
    """The ``OSError`` behind ``exc``: itself, or the one xlsxwriter wraps."""
    if isinstance(exc, OSError):
        return exc
    if type(exc).__name__ == "FileCreateError" and exc.args and isinstance(exc.args[0],
                                                                           OSError):
        return exc.args[0]
    return None


def _reason(error: OSError) -> str:
    if error.errno == errno.EFBIG:
        return "the file is larger than this process may write (File too large)"
    return error.strerror or str(error)


def write_text_atomically(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` through ``atomic_output``."""
    with atomic_output(path) as temporary, open(temporary, "w", encoding="utf-8",
                                                newline="\n") as handle:
        handle.write(text)
    return Path(path)


@contextlib.contextmanager
def rows_folder() -> Iterator[str]:
    """A private folder in the system's temporary folder for xlsxwriter's row files,
    removed when the block ends (``remove_stale_temporaries`` removes one a killed
    process left)."""
    with tempfile.TemporaryDirectory(prefix=ROWS_PREFIX) as folder:
        yield folder


def remove_stale_temporaries(folders: Iterable[Path], *,
                             older_than: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Delete this tool's temporaries older than ``older_than`` seconds: ``.stockpile-*.tmp``
    files in ``folders`` and ``stockpile-rows-*`` folders in the system's temporary
    folder, left by a process killed before it could clean up. Younger ones may belong
    to a run still going. Returns what was removed; what cannot be removed is left."""
    cutoff = time.time() - older_than
    removed: list[Path] = []
    candidates = [path for folder in folders if Path(folder).is_dir()
                  for path in Path(folder).glob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}")]
    candidates += Path(tempfile.gettempdir()).glob(f"{ROWS_PREFIX}*")
    for path in candidates:
        try:
            if path.lstat().st_mtime >= cutoff:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


__all__ = ["Output", "OutputError", "atomic_output", "check_outputs",
           "remove_stale_temporaries", "rows_folder", "write_text_atomically"]
