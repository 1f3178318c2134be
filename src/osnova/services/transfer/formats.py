"""Streaming readers and writers for CSV, JSON and JSON Lines.

Readers yield one ``(line, row)`` pair at a time and never hold the file: memory stays flat
however large it is. ``line`` is the physical line where a CSV or JSON Lines record starts, or
the 1-based position of the object in a JSON array. A problem with the file itself (not
UTF-8, a bad header, truncated JSON) raises ``FileProblem`` and ends the read.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Generator, Iterable, Iterator, Sequence
from enum import StrEnum
from pathlib import PurePath
from typing import IO, Any

import ijson
import orjson

CSV_FIELD_LIMIT = 131_072
# Spreadsheets run a cell starting with one of these as a formula: exports prefix it with an
# apostrophe, and imports remove that one apostrophe again so a round trip is exact.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
SCALARS = (str, int, float, bool, type(None))
WRITE_CHUNK_ROWS = 2_000
NOT_UTF8 = re.compile("[\udc80-\udcff]")

Row = dict[str, Any]


class BadRecord:
    """A record that cannot become a row (a CSV line with the wrong number of fields)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"


FORMAT_BY_EXTENSION = {
    ".csv": Format.CSV,
    ".json": Format.JSON,
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
}


FORMAT_BY_MEDIA_TYPE = {
    "text/csv": Format.CSV,
    "application/json": Format.JSON,
    "application/jsonl": Format.JSONL,
    "application/x-ndjson": Format.JSONL,
}


def choose_format(
    *,
    given: str | None = None,
    filename: str | None = None,
    media_type: str | None = None,
    default: Format | None = None,
) -> Format | None:
    """The format the caller said, else the file name's extension (``.csv``, ``.json``,
    ``.jsonl``, ``.ndjson``), else the media type, else ``default`` (None: ask the user)."""
    if given is not None:
        return Format(given)
    named = FORMAT_BY_EXTENSION.get(PurePath(filename or "").suffix.lower())
    if named is not None:
        return named
    return FORMAT_BY_MEDIA_TYPE.get(media_type or "", default)


class FileProblem(Exception):
    """The file cannot be read further; ``line`` and ``column`` say where, when known."""

    def __init__(self, message: str, line: int = 0, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


Records = Generator[tuple[int, Row | BadRecord], None, None]


def read_rows(
    stream: IO[bytes], fmt: Format, *, columns: Sequence[str], refused: dict[str, str]
) -> Records:
    """Rows of ``stream`` as dicts; ``columns`` are the known ones, ``refused`` maps a column
    name to the message that explains why it may not appear."""
    if fmt is Format.CSV:
        return _read_csv(stream, columns, refused)
    if fmt is Format.JSON:
        return _read_json(stream, columns, refused)
    return _read_jsonl(stream, columns, refused)


def count_rows(stream: IO[bytes], fmt: Format, *, stop_after: int) -> int:
    """How many rows ``stream`` holds, counting no further than ``stop_after`` + 1; the
    stream is rewound. A file too broken to count is left to the import to explain."""
    rows = 0
    try:
        for rows, _row in enumerate(_rough_rows(stream, fmt), start=1):
            if rows > stop_after:
                break
    except (ValueError, csv.Error, ijson.JSONError):  # UnicodeDecodeError is a ValueError
        pass
    finally:
        stream.seek(0)
    return rows


def _rough_rows(stream: IO[bytes], fmt: Format) -> Iterator[object]:
    if fmt is Format.CSV:
        text = _text(stream)
        try:
            reader = csv.reader(text)
            next(reader, None)  # the header
            yield from reader
        finally:
            text.detach()
    elif fmt is Format.JSONL:
        yield from (line for line in stream if line.strip())
    else:
        yield from ijson.items(_skip_to_content(stream), "item", use_float=True)


def _check_columns(names: Iterable[str], columns: Sequence[str], refused: dict[str, str]) -> None:
    for name in names:
        if name in refused:
            raise FileProblem(refused[name], 1, name)
        if name not in columns:
            raise FileProblem(f"unknown column; expected some of: {', '.join(columns)}", 1, name)


def _text(stream: IO[bytes]) -> io.TextIOWrapper:
    # Undecodable bytes become lone surrogates, so the reader can name the line they are on.
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")


def unescape_cell(value: str) -> str:
    if value[:1] == ESCAPE and value[1:2] in (*FORMULA_TRIGGERS, ESCAPE) and value[1:2]:
        return value[1:]
    return value


def escape_cell(value: str) -> str:
    first = value[:1]
    if first and (first in FORMULA_TRIGGERS or (first == ESCAPE and value[1:2] in _ESCAPED)):
        return ESCAPE + value
    return value


_ESCAPED = frozenset((*FORMULA_TRIGGERS, ESCAPE))


def _read_csv(stream: IO[bytes], columns: Sequence[str], refused: dict[str, str]) -> Records:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    text = _text(stream)
    try:
        yield from _csv_records(text, columns, refused)
    finally:
        text.detach()  # the caller's stream stays open: it is theirs to close


def _csv_records(
    text: IO[str], columns: Sequence[str], refused: dict[str, str]
) -> Iterator[tuple[int, Row | BadRecord]]:
    reader = csv.reader(text, strict=True)
    line = 1
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise FileProblem("the file is empty: expected a header row", 1) from None
        if NOT_UTF8.search("".join(header)):
            raise FileProblem("the file is not UTF-8 text", 1)
        header = [name.strip() for name in header]
        if len(set(header)) != len(header):
            twice = sorted({name for name in header if header.count(name) > 1})
            raise FileProblem("the header names a column twice", 1, twice[0])
        _check_columns(header, columns, refused)
        width = len(header)
        line = reader.line_num + 1
        for record in reader:
            joined = "".join(record)
            if not joined.isascii() and NOT_UTF8.search(joined):
                raise FileProblem("the file is not UTF-8 text", line)
            if len(record) == width:
                if ESCAPE in joined:
                    record = [unescape_cell(value) for value in record]  # noqa: PLW2901
                yield line, dict(zip(header, record, strict=True))
            elif record:  # a blank line between records is tolerated
                yield line, BadRecord(f"has {len(record)} fields; the header has {width}")
            line = reader.line_num + 1
    except UnicodeDecodeError:
        raise FileProblem("the file is not UTF-8 text", line) from None
    except csv.Error as exc:
        raise FileProblem(_csv_message(str(exc)), line) from None


def _csv_message(detail: str) -> str:
    if "field larger than field limit" in detail:
        return f"a field is longer than {CSV_FIELD_LIMIT:,} characters"
    return f"malformed CSV: {detail}"


def _object_row(
    line: int, value: Any, columns: Sequence[str], refused: dict[str, str]
) -> tuple[int, Row]:
    if not isinstance(value, dict):
        raise FileProblem("expected an object with one key per column", line)
    _check_names_in_row(line, value, columns, refused)
    for name, cell in value.items():
        if not isinstance(cell, SCALARS):
            raise FileProblem("must be a single value, not a list or an object", line, name)
    return line, value


def _check_names_in_row(
    line: int, row: Row, columns: Sequence[str], refused: dict[str, str]
) -> None:
    try:
        _check_columns(row, columns, refused)
    except FileProblem as problem:
        problem.line = line
        raise


def _read_json(
    stream: IO[bytes], columns: Sequence[str], refused: dict[str, str]
) -> Generator[tuple[int, Row], None, None]:
    buffered = _skip_to_content(stream)
    first = buffered.peek(1)[:1]
    if first == b"":
        raise FileProblem("the file is empty: expected a JSON array of objects", 1)
    if first != b"[":
        raise FileProblem("expected a JSON array of objects at the top level", 1)
    position = 0
    try:
        for value in ijson.items(buffered, "item", use_float=True):
            position += 1
            yield _object_row(position, value, columns, refused)
    except ijson.JSONError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "invalid JSON"
        raise FileProblem(f"the JSON is malformed or truncated: {detail}", position + 1) from None
    except UnicodeDecodeError:
        raise FileProblem("the file is not UTF-8 text", position + 1) from None


def _skip_to_content(stream: IO[bytes]) -> io.BufferedReader:
    """A buffered view of ``stream`` positioned after a BOM and leading whitespace."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(_Raw(stream))
    if buffered.peek(3)[:3] == codecs.BOM_UTF8:
        buffered.read(3)
    while buffered.peek(1)[:1] in (b" ", b"\t", b"\r", b"\n"):
        buffered.read(1)
    return buffered


class _Raw(io.RawIOBase):
    """Any binary stream as a raw one, so it can be buffered and peeked at."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_jsonl(
    stream: IO[bytes], columns: Sequence[str], refused: dict[str, str]
) -> Generator[tuple[int, Row], None, None]:
    line = 0
    for record in stream:
        line += 1
        raw = record[3:] if line == 1 and record.startswith(codecs.BOM_UTF8) else record
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            message = (
                "the file is not UTF-8 text"
                if "utf-8" in str(exc).lower()
                else (f"invalid JSON: {exc}")
            )
            raise FileProblem(message, line) from None
        yield _object_row(line, value, columns, refused)
    if line == 0:
        raise FileProblem("the file is empty: expected one JSON object per line", 1)


def write_rows(
    rows: Iterable[Sequence[Any]], fmt: Format, columns: Sequence[str]
) -> Iterator[bytes]:
    """JSON or JSON Lines from ``rows`` (tuples in ``columns`` order), chunk by chunk."""
    if fmt is Format.CSV:
        raise ValueError("CSV is written from text rows: use write_csv_batches")
    return _write_json(rows, columns, as_array=fmt is Format.JSON)


def write_csv_batches(
    batches: Iterable[list[tuple[Any, ...]]], columns: Sequence[str]
) -> Iterator[bytes]:
    """CSV from batches of rows whose cells are already text (see ``exporting.csv_cell``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for batch in batches:
        writer.writerows(batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()


def _write_json(
    rows: Iterable[Sequence[Any]], columns: Sequence[str], *, as_array: bool
) -> Iterator[bytes]:
    """A JSON array with one object per line, or JSON Lines."""
    separator = b",\n" if as_array else b"\n"
    chunk: list[bytes] = []
    count = 0
    for row in rows:
        chunk.append(orjson.dumps(dict(zip(columns, row, strict=True))))
        count += 1
        if len(chunk) >= WRITE_CHUNK_ROWS:
            yield _json_chunk(chunk, separator, as_array=as_array, first=count == len(chunk))
            chunk.clear()
    if chunk or count == 0:
        yield _json_chunk(chunk, separator, as_array=as_array, first=count == len(chunk))
    if as_array:
        yield b"\n]\n" if count else b"]\n"


def _json_chunk(chunk: list[bytes], separator: bytes, *, as_array: bool, first: bool) -> bytes:
    body = separator.join(chunk)
    if not as_array:
        return body + b"\n" if chunk else b""
    if first:
        return b"[\n" + body if chunk else b"["
    return separator + body
