"""Reading shipped event-log files as they are: compressed, streamed, with line numbers.

A file is opened by its content (the xz or gzip magic), never unpacked to disk. CSV rows and
XES traces come one at a time with the line they start on; a file that ends early (a
truncated download) raises :class:`ReadError` naming the last line read, and a file that is
not what the importer expects raises it before anything is written.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import lzma
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast

XES_NS = "{http://www.xes-standard.org/}"


class ReadError(Exception):
    """The file cannot be read as this importer's source (message says why and where)."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def checksum(path: Path) -> str:
    """SHA-256 of the file as shipped (compressed): the identity a rerun is recognised by."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def compression_of(path: Path) -> str:
    with path.open("rb") as handle:
        magic = handle.read(6)
    if magic.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if magic.startswith(b"\x1f\x8b"):
        return "gzip"
    return "none"


def open_binary(path: Path) -> IO[bytes]:
    """The file's uncompressed bytes, streamed (xz and gzip recognised by content)."""
    kind = compression_of(path)
    if kind == "xz":
        return lzma.open(path, "rb")
    if kind == "gzip":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


class _Chunked:
    """Hands the XML parser at most ``size`` bytes per read, so events come as the file is
    read (and a damaged end is met only after the whole cases before it)."""

    def __init__(self, raw: IO[bytes], size: int = 1 << 16) -> None:
        self.raw = raw
        self.size = size

    def read(self, n: int = -1) -> bytes:
        return self.raw.read(self.size if n < 0 else min(n, self.size))


_EOF_ERRORS = (EOFError, lzma.LZMAError, zlib.error, gzip.BadGzipFile)


def truncated_message(exc: BaseException) -> str:
    return f"The file ends early or is damaged ({type(exc).__name__}: {exc})."


# --- CSV ---------------------------------------------------------------------------------------


@dataclass
class CsvRow:
    line: int
    values: dict[str, str]


def csv_rows(
    path: Path, *, encoding: str, delimiter: str, required: frozenset[str]
) -> Iterator[CsvRow]:
    """The data rows of a CSV file with their line numbers (the header is line 1).

    Raises ``ReadError`` when columns in ``required`` are missing (a wrong file) or the file
    ends early.
    """
    raw = open_binary(path)
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    line = 1
    try:
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise ReadError("The file is empty.", line=1) from None
        except UnicodeDecodeError as exc:
            raise ReadError(f"Not a {encoding} text file: {exc}.", line=1) from None
        missing = sorted(required - set(header))
        if missing:
            raise ReadError(
                "This is not the file this importer reads: columns missing: " + ", ".join(missing),
                line=1,
            )
        for values in reader:
            line = reader.line_num
            if not values:
                continue
            if len(values) != len(header):
                raise ReadError(
                    f"Row has {len(values)} values, the header names {len(header)}.", line=line
                )
            yield CsvRow(line, dict(zip(header, (v.strip() for v in values), strict=True)))
    except _EOF_ERRORS as exc:
        raise ReadError(truncated_message(exc), line=line) from None
    except UnicodeDecodeError as exc:
        raise ReadError(f"Not a {encoding} text file: {exc}.", line=line + 1) from None
    finally:
        text.close()


def sniff_header(path: Path, *, encoding: str, delimiter: str) -> list[str]:
    """The header line's column names (to tell which importer a CSV file is for)."""
    try:
        with open_binary(path) as raw:
            first = raw.readline(1 << 16)
    except _EOF_ERRORS as exc:
        raise ReadError(truncated_message(exc), line=1) from None
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return [name.strip() for name in decoder.decode(first).rstrip("\r\n").split(delimiter)]


# --- XES ---------------------------------------------------------------------------------------


@dataclass
class XesEvent:
    line: int
    values: dict[str, Any]


@dataclass
class XesTrace:
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    events: list[XesEvent] = field(default_factory=list)


def _value(element: Any) -> Any:
    tag = element.tag.removeprefix(XES_NS)
    raw = element.get("value")
    if tag == "date":
        return datetime.fromisoformat(raw)
    if tag == "boolean":
        return raw == "true"
    if tag == "int":
        return int(raw)
    if tag == "float":
        return float(raw)
    return raw


def _attributes(element: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for child in element:
        key = child.get("key")
        if key is not None and child.get("value") is not None:
            values[key] = _value(child)
    return values


def xes_log_attributes(path: Path) -> dict[str, Any]:
    """The log-level attributes (read up to the first trace): how a file says what it is."""
    from lxml import etree

    values: dict[str, Any] = {}
    try:
        with open_binary(path) as raw:
            for _event, element in etree.iterparse(_Chunked(raw), events=("start",)):
                tag = element.tag.removeprefix(XES_NS)
                if tag == "trace":
                    break
                if tag == "log" and element.get("xes.version") is not None:
                    values["xes.version"] = element.get("xes.version")
                parent = element.getparent()
                key = element.get("key")
                if key and parent is not None and parent.tag.removeprefix(XES_NS) == "log":
                    values.setdefault(key, element.get("value"))
    except etree.XMLSyntaxError as exc:
        raise ReadError(
            f"Not an XES (XML) file: {exc}.", line=getattr(exc, "lineno", None)
        ) from None
    except _EOF_ERRORS as exc:
        raise ReadError(truncated_message(exc)) from None
    return values


def xes_traces(path: Path) -> Iterator[XesTrace]:
    """Every trace with its events, one at a time; each element is cleared once read."""
    from lxml import etree

    line = 0
    current: XesTrace | None = None
    try:
        with open_binary(path) as raw:
            for action, element in etree.iterparse(_Chunked(raw), events=("start", "end")):
                tag = element.tag.removeprefix(XES_NS)
                line = element.sourceline or line
                if action == "start":
                    if tag == "trace":
                        current = XesTrace(line)
                    continue
                if tag == "event" and current is not None:
                    current.events.append(
                        XesEvent(element.sourceline or line, _attributes(element))
                    )
                    element.clear()
                elif tag == "trace" and current is not None:
                    current.values = _attributes(element)
                    element.clear()
                    while element.getprevious() is not None:
                        del element.getparent()[0]
                    yield current
                    current = None
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        if "end of" in message.lower() or "premature" in message.lower():
            message = f"The file ends early ({message})."
        raise ReadError(message, line=getattr(exc, "lineno", None) or line) from None
    except _EOF_ERRORS as exc:
        raise ReadError(truncated_message(exc), line=line) from None
