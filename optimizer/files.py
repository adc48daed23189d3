"""Input files as the program meets them: only regular files are read, and a file name
reads the same in every message, report and page whatever bytes it holds."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def not_a_regular_file(path: str | os.PathLike) -> str | None:
    """What ``path`` is when it is not a regular file (nor a link to one), e.g. "a FIFO
    (named pipe)"; None for a regular file.

    Decided by ``os.stat`` alone, before anything opens the path: opening a FIFO waits for
    a writer that may never come, and reading a device such as /dev/zero never ends.
    Raises ``FileNotFoundError`` (and any other ``OSError``) as ``os.stat`` does.
    """
    mode = os.stat(path).st_mode
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")


_SURROGATE = re.compile("[\ud800-\udfff]")


def shown_text(text: str) -> str:
    """``text`` with every lone surrogate escaped: the surrogates by which Python holds
    the bytes of a file name or argument that are not UTF-8 ("\\udcff" for b"\\xff") as
    those bytes, "\\xff", any other as "\\ud800". The result encodes as UTF-8, so it can be
    printed, logged and written into a workbook or a page."""
    return text if text.isascii() else _SURROGATE.sub(_escaped, text)


def _escaped(found: re.Match) -> str:
    code = ord(found.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def shown_path(path: str | os.PathLike) -> str:
    """A path as a message shows it: a name that is not UTF-8 (bytes b"\\xff\\xfe") has
    those bytes escaped, "\\xff\\xfe" (``shown_text``)."""
    return shown_text(str(Path(path)))
