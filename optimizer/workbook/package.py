"""The package check: what a workbook is, and whether it is safe to parse, decided from
its zip package before calamine or openpyxl sees it (``inspect_package``), and opening it
(``open_workbook``).

Workbooks come from many ministries and some are broken or hostile. Every cap below is
checked on the zip directory, or on one streaming pass over the parts, a chunk at a
time: never by loading a part whole. A file beyond a cap is rejected with one sentence
naming the file, in the time it takes to read it once and in bounded memory.
"""

from __future__ import annotations

import itertools
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import python_calamine

from optimizer.errors import WorkbookFormatError
from optimizer.files import not_a_regular_file, shown_path

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

MAX_PACKAGE_ENTRIES = 10_000
# A workbook saved by Excel has a few dozen parts (sheets, styles, relationships, a few
# images); a zip directory of millions of entries costs seconds and memory just to list.

MAX_UNCOMPRESSED_BYTES = 1 << 30  # 1 GiB
# The largest workbook this program meets, a report whose Allocation sheet fills all of
# Excel's 1,048,576 rows, is about half a gigabyte of XML; a zip bomb expands to far more.

MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_FROM_BYTES = 1 << 20  # 1 MiB
# Sheet XML deflates about 10:1, very regular generated data 20:1 to 50:1; ratios near
# deflate's limit of 1,032:1 come from data made to compress, the mark of a zip bomb.
# A part of under 1 MiB cannot expand to much whatever its ratio, so it is not checked.

MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLUMNS = 16_384
# Excel's own limits (row 1,048,576, column XFD): a sheet beyond them was not saved by
# Excel. The generator and the report both go up to the full 1,048,576 rows.

MAX_SHEET_CELLS = 1 << 24  # 16,777,216
# calamine reads a sheet as a dense grid from A1 to its last cell (every cell of the grid
# is allocated, then becomes a Python object), so the grid's size bounds memory: about
# 1 GB at this cap. It holds a full-height sheet of 16 columns (the Allocation report has
# 10), while a sheet with just two cells, A1 and XFD1048576, would ask for 17 billion
# cells and abort the process.

_CHUNK = 1 << 20  # bytes inflated and scanned at a time
_PROLOG_LIMIT = 1 << 16  # an XML part's first element starts within its first 64 KiB
_MAX_TEXT_RUN = 1 << 20  # sheet XML without a '>' for 1 MiB: Excel's longest cell text
#                          (32,767 characters) takes under 200 KiB
_HUGE = 10**10  # stands for any row or column number too long to be real
_WORKSHEET_ROOTS = {b"worksheet", b"dialogsheet", b"macrosheet"}  # parts that hold cells

DAMAGED = "is a damaged .xlsx file"
SAVE_AGAIN = "copy it again, or open it in Excel and save it again"
_TAMPERED = "check where the file came from, and open it in Excel and save it again"

# A sheet's XML is scanned, not parsed (see _scan_window). A cell's position is its r="B7"
# attribute; _REF finds them where _scan_window's fast path cannot. The <dimension
# ref="A1:D9"> is taken too, as openpyxl sizes the rows it reads by it. _TAG and
# _R_ATTRIBUTE follow cells placed by position (_implicit_extent).
_REF = re.compile(rb"\sr\s*=\s*[\"']([A-Za-z]*[0-9]*)")
_DIMENSION = re.compile(rb"dimension\b[^>]*?\bref\s*=\s*[\"'][^\"']*?([A-Za-z]*[0-9]*)[\"']")
_DIGITS = b"0123456789"
_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))
_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*)>")
_R_ATTRIBUTE = re.compile(rb"(?:^|\s)r\s*=\s*[\"']([A-Za-z]*)([0-9]*)")
_ELEMENT_NAME = re.compile(rb"[\w.:-]+")


@dataclass(frozen=True)
class PackageFacts:
    """What ``inspect_package`` learns on its pass over the parts that the reader uses."""

    formula_or_error_cells: bool  # some sheet holds a formula or an error value


@dataclass
class _Extent:
    """How far a sheet reaches: its last row and column (1-based), as calamine sees it."""

    rows: int = 0
    columns: int = 0

    def take(self, refs: list[bytes]) -> None:
        """Widen to cover cell references such as b"B7" (letters, then digits).

        Done on the joined bytes rather than a reference at a time: a window holds tens of
        thousands of references, with only a few distinct columns.
        """
        if not refs:
            return
        joined = b" ".join(refs)
        letters = set(joined.translate(None, _DIGITS).split())
        self.columns = max(self.columns, max(map(_column_number, letters), default=0))
        digits = joined.translate(None, _LETTERS)
        numbers = set(digits.split())
        if not numbers:
            return
        if digits.startswith(b"0") or b" 0" in digits:  # leading zeros: compare as numbers
            self.rows = max(self.rows, max(map(_row_number, numbers)))
            return
        longest = max(map(len, numbers))  # without leading zeros, longer is larger
        largest = max(number for number in numbers if len(number) == longest)
        self.rows = max(self.rows, _row_number(largest))

    def cells(self) -> int:
        return self.rows * self.columns

    def beyond_caps(self) -> bool:
        return (
            self.rows > MAX_SHEET_ROWS
            or self.columns > MAX_SHEET_COLUMNS
            or self.cells() > MAX_SHEET_CELLS
        )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper()[:3]:
        number = number * 26 + letter - 64
    return number if len(letters) <= 3 else _HUGE


def _row_number(digits: bytes) -> int:
    digits = digits.lstrip(b"0")
    return int(digits or b"0") if len(digits) < len(str(_HUGE)) else _HUGE


def open_workbook(path: Path) -> python_calamine.CalamineWorkbook:
    """Open an .xlsx file, or raise one clear sentence saying why it is not one or why it
    is not read (``inspect_package``)."""
    inspect_package(path)
    return open_inspected(path)


def open_inspected(path: Path) -> python_calamine.CalamineWorkbook:
    """Open a file ``inspect_package`` has passed with calamine.

    calamine takes a path as UTF-8 text; a file whose name holds other bytes (Python's
    surrogate escapes, "\udcff") is handed to it as an open file instead, read whole.
    """
    try:
        name = str(path)
        if name.isascii() or _is_utf8(name):
            return python_calamine.CalamineWorkbook.from_path(name)
        with Path(path).open("rb") as handle:
            return python_calamine.CalamineWorkbook.from_filelike(handle)
    except BaseException as exc:
        if not is_reader_failure(exc):
            raise
        raise WorkbookFormatError(shown_path(path),
                                  f"{DAMAGED} and cannot be read ({exc})") from None


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_reader_failure(exc: BaseException) -> bool:
    """Whether a reader's exception means a broken file: calamine raises several unrelated
    types, and pyo3's PanicException (a BaseException) when its Rust code panics on one."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def inspect_package(path: Path) -> PackageFacts:
    """Check, before any parser sees it, that ``path`` is an .xlsx package safe to read.

    In order: the file is a zip package (not an old .xls, a password-protected workbook, a
    CSV or a truncated download); its zip directory is within the caps above (entries,
    expanded size, compression ratio) and describes an .xlsx, not an .xlsb; then one
    streaming pass over every part checks that it expands to the size and checksum its
    directory entry gives, that no XML part declares a DTD (the door to entity bombs,
    which Excel never writes) or is not UTF-8, and that no sheet reaches beyond the sheet
    caps. Raises ``WorkbookFormatError``: one sentence naming the file.
    """
    where = shown_path(path)
    _check_file_kind(path)
    with path.open("rb") as handle:
        entries = _declared_entry_count(handle)
        if entries > MAX_PACKAGE_ENTRIES:
            raise _too_many_entries(where, entries)
        try:
            with zipfile.ZipFile(handle) as package:
                infos = package.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise WorkbookFormatError(where, f"{DAMAGED} and cannot be read ({exc}); "
                                             f"{SAVE_AGAIN}") from None
        _check_directory(where, infos)
        names = {info.filename for info in infos}
        if "xl/workbook.bin" in names:
            raise WorkbookFormatError(
                where, "is a binary .xlsb workbook; save it as an Excel .xlsx workbook"
            )
        if "xl/workbook.xml" not in names:
            raise WorkbookFormatError(
                where, "is a zip file but not an Excel .xlsx workbook (no xl/workbook.xml)"
            )
        formula_or_error_cells = False
        for info in infos:
            try:
                scanned = _inspect_part(where, handle, info)
            except (OSError, EOFError, ValueError, struct.error, zlib.error) as exc:
                # A directory entry that points outside the file (a damaged zip).
                raise WorkbookFormatError(
                    where, f"{DAMAGED}: its part {info.filename} cannot be read ({exc}); "
                           f"{SAVE_AGAIN}") from None
            if scanned is None:
                continue
            extent, has_formula_or_error = scanned
            formula_or_error_cells |= has_formula_or_error
            if extent.beyond_caps():
                sheets = _sheet_names_by_part(where, handle, infos)
                raise _sheet_too_large(where, sheets.get(info.filename), info.filename, extent)
    return PackageFacts(formula_or_error_cells)


def _check_file_kind(path: Path) -> None:
    """The file exists, is a regular file and is a zip package, or one sentence saying
    what it is instead. Nothing but a regular file is opened (``not_a_regular_file``)."""
    where = shown_path(path)
    try:
        kind = not_a_regular_file(path)
    except (FileNotFoundError, NotADirectoryError):
        raise WorkbookFormatError(where, "no such file") from None
    if kind is not None:
        raise WorkbookFormatError(
            where, f"is {kind}, not a regular file; give the path of an .xlsx workbook")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == _OLE2_MAGIC:  # an OLE2 compound file: Excel 97-2003, or an encrypted .xlsx
        if _is_encrypted_package(path):
            raise WorkbookFormatError(
                where,
                "is a password-protected (encrypted) workbook, which cannot be read; open "
                "it in Excel, remove the password (File > Info > Protect Workbook > Encrypt "
                "with Password) and save it as an unprotected .xlsx workbook",
            )
        raise WorkbookFormatError(
            where,
            "is an old-style .xls workbook or a password-protected .xlsx; "
            "save it unprotected as an Excel .xlsx workbook",
        )
    if not zipfile.is_zipfile(path):
        if head.startswith(b"PK"):
            raise WorkbookFormatError(
                where,
                "is not an Excel .xlsx workbook that can be read: it starts as one but is "
                f"cut short or damaged (its zip directory is missing); {SAVE_AGAIN}",
            )
        raise WorkbookFormatError(
            where,
            "is not an Excel .xlsx workbook (it is not a zip package; a CSV or text file "
            "renamed to .xlsx?); open it in Excel and save it as .xlsx",
        )


def _is_encrypted_package(path: Path) -> bool:
    """Whether an OLE2 file holds the EncryptionInfo stream of an encrypted .xlsx.

    The names of OLE2 streams are stored in UTF-16 in its directory, which may be anywhere
    in the file, so the file is searched a chunk at a time (it is on disk, so its size is
    what it is: nothing expands).
    """
    wanted = "EncryptionInfo".encode("utf-16-le")
    carry = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if wanted in carry + chunk:
                return True
            carry = chunk[-len(wanted):]
    return False


def _declared_entry_count(handle) -> int:
    """The number of entries the zip's end record declares, read before the directory is
    listed (0 when there is no end record; ``zipfile`` then says what is wrong)."""
    size = handle.seek(0, 2)
    tail_length = min(size, 22 + 0xFFFF)  # the end record, then a comment of up to 64 KiB
    handle.seek(size - tail_length)
    tail = handle.read(tail_length)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return 0
    (entries,) = struct.unpack_from("<H", tail, at + 10)
    locator = at - 20  # a Zip64 package keeps the true count in its own end record
    if entries == 0xFFFF and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
        (offset,) = struct.unpack_from("<Q", tail, locator + 8)
        handle.seek(offset)
        record = handle.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            (entries,) = struct.unpack_from("<Q", record, 32)
    return entries


def _too_many_entries(where: str, entries: int) -> WorkbookFormatError:
    return WorkbookFormatError(
        where,
        f"is not read: its zip package has {entries:,} entries, more than the "
        f"{MAX_PACKAGE_ENTRIES:,} a workbook can reasonably have (a zip bomb?); {_TAMPERED}",
    )


def _check_directory(where: str, infos: list[zipfile.ZipInfo]) -> None:
    """The zip directory alone: entry count, duplicate names, encryption, compression
    methods, expanded size and compression ratios. Nothing is decompressed."""
    if len(infos) > MAX_PACKAGE_ENTRIES:
        raise _too_many_entries(where, len(infos))
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if name in seen:  # parsers disagree on which copy counts: one could hide the other
            raise WorkbookFormatError(
                where, f"{DAMAGED}: its zip package holds two parts named {name}; {_TAMPERED}"
            )
        seen.add(name)
        if info.flag_bits & 0x1:
            raise WorkbookFormatError(
                where,
                f"has encrypted zip entries ({name}), which cannot be read; save it "
                "unprotected as an Excel .xlsx workbook",
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookFormatError(
                where,
                f"is not read: its part {name} uses zip compression method "
                f"{info.compress_type}, which Excel never writes; {_TAMPERED}",
            )
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise WorkbookFormatError(
                where, f"{DAMAGED}: the size of its part {name} is inconsistent; {SAVE_AGAIN}"
            )
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookFormatError(
            where,
            f"is not read: it expands to {total / 2**20:,.0f} MiB, more than the "
            f"{MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MiB a workbook can reasonably hold "
            f"(a zip bomb?); {_TAMPERED}",
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_CHECKED_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise WorkbookFormatError(
                where,
                f"is not read: its part {info.filename} expands {ratio:,.0f} times, to "
                f"{info.file_size / 2**20:,.0f} MiB, more than the {MAX_COMPRESSION_RATIO}:1 "
                f"of real workbooks (a zip bomb?); {_TAMPERED}",
            )


def _inspect_part(
    where: str, handle, info: zipfile.ZipInfo
) -> tuple[_Extent, bool] | None:
    """Inflate one part, checking its size and checksum on the way. An XML part must be
    UTF-8 without a DTD; a sheet's extent and whether it holds formula or error cells are
    returned (None for any other part)."""
    chunks = _inflate(where, handle, info)
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= _PROLOG_LIMIT:
            break
    whole = len(head) < _PROLOG_LIMIT  # the part ended before the limit
    root = _xml_root(where, info.filename, head[:_PROLOG_LIMIT], whole)
    if root not in _WORKSHEET_ROOTS:
        for _ in chunks:  # still inflated to the end: its size and checksum are checked
            pass
        return None
    extent, regular, has_formula_or_error = _scan_sheet(where, info.filename, head, chunks)
    if not regular and not extent.beyond_caps():
        _implicit_extent(where, info.filename, _inflate(where, handle, info), extent)
    return extent, has_formula_or_error


def _inflate(where: str, handle, info: zipfile.ZipInfo):
    """Yield a part's bytes a chunk at a time, inflated from the file with zlib.

    The part's own compressed bytes are inflated, not ``zipfile``'s view of them, which
    stops at the size the directory declares: a part that expands beyond that size (what
    calamine would read) or fails its checksum is damaged or tampered with.
    """
    name = info.filename
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise WorkbookFormatError(
            where, f"{DAMAGED}: its part {name} is not where its zip directory says; "
                   f"{SAVE_AGAIN}"
        )
    name_length, extra_length = struct.unpack_from("<HH", header, 26)
    position = info.header_offset + 30 + name_length + extra_length
    inflater = (
        zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED
        else None
    )
    left, size, crc = info.compress_size, 0, 0
    while left > 0 and not (inflater is not None and inflater.eof):
        handle.seek(position)  # the handle may have been used between two chunks
        data = handle.read(min(left, _CHUNK))
        position += len(data)
        if not data:
            raise WorkbookFormatError(where, f"{DAMAGED}: it is cut short; {SAVE_AGAIN}")
        left -= len(data)
        while data:
            if inflater is None:
                out, data = data, b""
            else:
                try:
                    out = inflater.decompress(data, _CHUNK)
                except zlib.error:
                    raise WorkbookFormatError(
                        where, f"{DAMAGED}: its part {name} is corrupt; {SAVE_AGAIN}"
                    ) from None
                data = inflater.unconsumed_tail
            size += len(out)
            if size > info.file_size:
                raise WorkbookFormatError(
                    where,
                    f"is not read: its part {name} expands beyond the size its zip "
                    f"directory gives (a zip bomb?); {_TAMPERED}",
                )
            crc = zlib.crc32(out, crc)
            if out:
                yield out
            elif inflater is None or inflater.eof:
                break
    if (inflater is not None and not inflater.eof) or size != info.file_size or crc != info.CRC:
        raise WorkbookFormatError(where, f"{DAMAGED}: its part {name} is corrupt; {SAVE_AGAIN}")


def _xml_root(where: str, name: str, head: bytes, whole: bool) -> bytes | None:
    """The local name of an XML part's root element, or None for a part that is not XML.

    Walks the prolog (XML declaration, comments, processing instructions), the only place
    a DTD can stand; any ``<!`` there other than a comment is a DTD. ``head`` is the part's
    first bytes; ``whole`` says whether it is all of the part.
    """
    utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")
    if utf16:  # walked as UTF-8; a UTF-16 sheet is refused below, other parts are let be
        big_endian = head[:2] in (b"\xfe\xff", b"\x00<")
        text = head[: len(head) // 2 * 2].decode("utf-16-be" if big_endian else "utf-16-le",
                                                  errors="replace")
        head = text.lstrip("\ufeff").encode()
    root = _prolog_root(where, name, head, whole)
    if utf16 and root in _WORKSHEET_ROOTS:  # calamine reads a UTF-16 sheet as empty
        raise WorkbookFormatError(
            where, f"is not read: its sheet part {name} is UTF-16 XML, which Excel never "
                   f"writes and this program does not read; {_TAMPERED}"
        )
    return None if utf16 else root


def _prolog_root(where: str, name: str, head: bytes, whole: bool) -> bytes | None:
    """``_xml_root`` for UTF-8 (or ASCII) bytes."""
    at = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while at < len(head) and head[at] in b" \t\r\n":
            at += 1
        if at == len(head) or head[at] != ord("<"):
            if at < len(head) or whole:
                return None  # not XML (an image, a binary part), or empty
            break
        if head.startswith(b"<?", at):
            end, closing = head.find(b"?>", at + 2), 2
        elif head.startswith(b"<!--", at):
            end, closing = head.find(b"-->", at + 4), 3
        elif head.startswith(b"<!", at):
            raise WorkbookFormatError(
                where,
                f"is not read: its part {name} declares an XML DTD (<!DOCTYPE ...>), which "
                f"Excel never writes and which can hide an entity bomb; {_TAMPERED}",
            )
        else:
            element = _ELEMENT_NAME.match(head, at + 1)
            return element.group().rpartition(b":")[2] if element else None
        if end < 0:
            if whole:
                return None  # an unfinished declaration: the parser will say so
            break
        at = end + closing
    raise WorkbookFormatError(
        where, f"{DAMAGED}: its part {name} has no XML element in its first "
               f"{_PROLOG_LIMIT // 1024} KiB; {_TAMPERED}"
    )


def _windows(where: str, name: str, chunks):
    """Re-cut a part's chunks at tag ends ('>'), so that no tag is split between two."""
    carry = b""
    for chunk in chunks:
        window = carry + chunk
        end = window.rfind(b">") + 1
        carry = window[end:]
        if len(carry) > _MAX_TEXT_RUN:
            raise WorkbookFormatError(
                where, f"{DAMAGED}: its part {name} has more than "
                       f"{_MAX_TEXT_RUN // 2**20} MiB of text without a tag; {_TAMPERED}"
            )
        if end:
            yield window[:end]


def _scan_sheet(
    where: str, name: str, head: bytes, chunks
) -> tuple[_Extent, bool, bool]:
    """One pass over a sheet's XML, a window at a time (``_scan_window``): its extent (and
    its dimension's), whether it is ``regular`` and whether it holds a formula or an error
    cell. Stops early once the extent is beyond the caps."""
    extent = _Extent()
    regular = True
    has_formula_or_error = False
    for window in _windows(where, name, itertools.chain([head], chunks)):
        rows, columns, window_regular, window_formula_or_error = _scan_window(window)
        extent.rows = max(extent.rows, rows)
        extent.columns = max(extent.columns, columns)
        extent.take(_DIMENSION.findall(window))
        if extent.beyond_caps():
            break
        regular = regular and window_regular
        has_formula_or_error = has_formula_or_error or window_formula_or_error
    return extent, regular, has_formula_or_error


_SPACES = np.frombuffer(b" \t\n\r", np.uint8)
_NAME_ENDS = np.frombuffer(b" \t\n\r>/", np.uint8)
_PREFIXED_TAG = re.compile(rb":(?:c|row|f)[\s>/]")  # <x:c …>: a namespace prefix


def _scan_window(window: bytes) -> tuple[int, int, bool, bool]:
    """Scan one window of sheet XML (cut at a '>') with numpy, a byte column at a time,
    rather than with a regular expression a match at a time: a sheet can be hundreds of
    megabytes, with a reference in every 30 bytes.

    Returns the furthest row and column its r="B7" attributes reach (any r attribute, in
    any tag: a stray one can only make the extent larger), whether every <c> and <row> tag
    carries r="…" as Excel writes it (``regular``; otherwise cells are placed by position,
    see ``_implicit_extent``), and whether it may hold a formula or an error cell.
    """
    size = len(window)
    data = np.frombuffer(window + bytes(32), np.uint8)  # reads past the end find zeros
    r = np.flatnonzero(data[1:size] == ord("r")) + 1
    r = r[np.isin(data[r - 1], _SPACES)]  # the attribute r, not operator or xmlns:r
    equals = data[r + 1] == ord("=")
    if not equals.all() or not np.isin(data[r[equals] + 2], (ord('"'), ord("'"))).all():
        extent = _Extent()  # spaces around '=', or a word r in a text: rare enough
        extent.take(_REF.findall(window))  # for the regular expression
        rows, columns = extent.rows, extent.columns
    else:
        rows, columns = _references_reach(data, r + 3)
    tags = np.flatnonzero(data[:size] == ord("<")) + 1  # each tag's first name byte
    first = data[tags]
    cells = tags[first == ord("c")]
    cells = cells[np.isin(data[cells + 1], _NAME_ENDS)]
    row_tags = tags[first == ord("r")]
    row_tags = row_tags[(data[row_tags + 1] == ord("o")) & (data[row_tags + 2] == ord("w"))
                        & np.isin(data[row_tags + 3], _NAME_ENDS)]
    formulas = tags[first == ord("f")]
    prefixed = _PREFIXED_TAG.search(window) is not None
    regular = not prefixed and _all_start(data, cells + 1) and _all_start(data, row_tags + 3)
    formula_or_error = (
        prefixed
        or bool(np.isin(data[formulas + 1], _NAME_ENDS).any())
        or b't="e"' in window
        or b"t='e'" in window
    )
    return rows, columns, regular, formula_or_error


def _references_reach(data: np.ndarray, starts: np.ndarray) -> tuple[int, int]:
    """The largest row and column among cell references (letters, then digits) starting
    at ``starts`` in ``data``: read with Horner's rule, a character position at a time."""
    if not starts.size:
        return 0, 0
    column = np.zeros(starts.size, np.int64)
    letters = np.zeros(starts.size, np.int64)
    going = np.ones(starts.size, bool)
    for _ in range(4):  # three letters reach XFD; a fourth means too far
        upper = data[starts + letters] & 0xDF
        going &= (upper >= ord("A")) & (upper <= ord("Z"))
        if not going.any():
            break
        column = np.where(going, column * 26 + upper - 64, column)
        letters += going
    row = np.zeros(starts.size, np.int64)
    figures = letters.copy()
    going = np.ones(starts.size, bool)
    for _ in range(11):  # ten figures reach 9,999,999,999; an eleventh means too far
        figure = data[starts + figures]
        going &= (figure >= ord("0")) & (figure <= ord("9"))
        if not going.any():
            break
        row = np.where(going, row * 10 + figure - ord("0"), row)
        figures += going
    too_far = (letters > 3).any(), (figures - letters > 10).any()
    return (_HUGE if too_far[1] else int(row.max()),
            _HUGE if too_far[0] else int(column.max()))


def _all_start(data: np.ndarray, positions: np.ndarray) -> bool:
    """Whether the bytes at every position start with ' r="'."""
    return all((data[positions + offset] == byte).all() for offset, byte in enumerate(b' r="'))


def _implicit_extent(where: str, name: str, chunks, extent: _Extent) -> None:
    """Widen ``extent`` to cells placed by position rather than by reference, following
    calamine: a <row> without r follows the row before it, a <c> without r stands right
    of the cell before it. Slower (a step per tag), so only for sheets that need it."""
    row = column = 0  # where the next row and cell go, 0-based
    for window in _windows(where, name, chunks):
        for closing, tag, attributes in _TAG.findall(window):
            if closing:
                if tag == b"row":
                    row, column = row + 1, 0
                continue
            if attributes.endswith(b"/"):
                continue  # an empty <row/> or <c/> places nothing
            reference = _R_ATTRIBUTE.search(attributes)
            if tag == b"row":
                if reference and reference[2]:
                    row = _row_number(reference[2]) - 1
                continue
            cell_row = row
            if reference:
                cell_row = _row_number(reference[2]) - 1
                column = _column_number(reference[1]) - 1
            extent.rows = max(extent.rows, cell_row + 1)
            extent.columns = max(extent.columns, column + 1)
            column += 1
        if extent.beyond_caps():
            return


def _sheet_too_large(
    where: str, sheet: str | None, part: str, extent: _Extent
) -> WorkbookFormatError:
    label = f"its sheet '{sheet}'" if sheet else f"its sheet in part {part}"
    if extent.rows > MAX_SHEET_ROWS:
        sentence = (
            f"{label} reaches row {extent.rows:,}, beyond the {MAX_SHEET_ROWS:,} rows an "
            "Excel sheet can hold, so Excel did not save it; export the data again with "
            "fewer rows, or open it in Excel and save it again"
        )
    elif extent.columns > MAX_SHEET_COLUMNS:
        sentence = (
            f"{label} reaches column {extent.columns:,}, beyond the {MAX_SHEET_COLUMNS:,} "
            "columns (A to XFD) an Excel sheet can hold, so Excel did not save it; export "
            "the data again with fewer columns, or open it in Excel and save it again"
        )
    else:
        sentence = (
            f"{label} spans {extent.rows:,} rows by {extent.columns:,} columns "
            f"({extent.cells():,} cells counted from A1), more than the "
            f"{MAX_SHEET_CELLS:,} cells this program reads from one sheet; delete the rows "
            "and columns beyond the table (or move other data to another workbook) and "
            "save it again"
        )
    return WorkbookFormatError(where, f"is not read: {sentence}")


def _sheet_names_by_part(
    where: str, handle, infos: list[zipfile.ZipInfo]
) -> dict[str, str]:
    """Part name -> sheet name, from xl/workbook.xml and its relationships, to name a sheet
    in a sentence (best effort: {} when they cannot be read)."""
    from defusedxml import ElementTree

    by_name = {info.filename: info for info in infos}
    try:
        workbook, relationships = (
            ElementTree.fromstring(b"".join(_inflate(where, handle, by_name[name])))
            for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
            if by_name[name].file_size <= 16 * _CHUNK
        )
    except Exception:  # missing, over 16 MiB (too few to unpack), broken: the part name
        return {}  # will do, as a sheet name only improves the sentence

    def local(name: str) -> str:
        return name.rpartition("}")[2]

    targets = {
        element.get("Id"): element.get("Target", "")
        for element in relationships.iter() if local(element.tag) == "Relationship"
    }
    names: dict[str, str] = {}
    for element in workbook.iter():
        if local(element.tag) != "sheet":
            continue
        ids = [value for key, value in element.attrib.items() if local(key) == "id"]
        target = targets.get(ids[0]) if ids else None
        if target:
            paths = ({target[1:]} if target.startswith("/")
                     else {f"xl/{target}", posixpath.normpath(f"xl/{target}")})
            names.update(dict.fromkeys(paths, element.get("name", "")))
    return names
