"""Checking uploaded files before they are stored, and the headers to serve them back with.

``inspect`` reads a file once, in chunks, and refuses it with a clear ``RuleViolation`` (a
``ValidationError``) when it is empty, too large, a program or script, a web page, an SVG with
script, of a type we do not accept, or not what its name says. The type comes from the content;
the name only has to agree with it. ``download_headers`` serves every file as a download that
the browser must not sniff, render inline or run.

What counts as what, decided once here:

- Binary formats are recognised by their leading bytes (our table below, deliberately short
  and explicit); ``puremagic`` names anything else in the error message and catches other
  executables. Programs are refused whatever their name: Windows (MZ), ELF, Mach-O, Java class,
  WebAssembly, Android dex, and scripts starting with ``#!``.
- Zip-based Office files (docx, xlsx, pptx) are zip archives with an Office extension; legacy
  doc/xls/ppt and Outlook msg are OLE containers with those extensions. An OLE container cannot
  be told apart from an MSI installer by its first bytes; a ``.doc`` name keeps it from running.
- Text is anything without NUL bytes (or UTF-16 with a byte-order mark) and with almost no
  control characters. Text that starts like HTML, or names ``<html>``, ``<body>``, ``<script>``
  or ``<iframe>`` within its first 512 characters, is refused as a web page (as browsers sniff).
- SVG is text whose first element is ``<svg>``. It is scanned in full and refused if it holds
  script, event handlers, ``foreignObject``, frames or objects, ``javascript:`` addresses, or
  entity declarations. Even a clean SVG is only ever served as ``application/octet-stream``.
- A file with no extension is accepted if its content is of an accepted kind.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import itertools
import posixpath
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import BinaryIO
from urllib.parse import quote

import puremagic
from django.core.files.uploadedfile import UploadedFile

from steward.core.errors import RuleViolation

CHUNK_BYTES = 64 * 1024
SNIFF_BYTES = 8 * 1024
HTML_SNIFF_CHARS = 512
MAX_FILENAME_CHARS = 150
MAX_FILENAME_BYTES = 255  # UTF-8, what most filesystems allow
FALLBACK_FILENAME = "attachment"


class Kind(Enum):
    """What a file's content is, as far as we care. The value is how messages name it."""

    PNG = "a PNG image"
    JPEG = "a JPEG image"
    GIF = "a GIF image"
    WEBP = "a WebP image"
    PDF = "a PDF document"
    ZIP = "a ZIP archive"
    GZIP = "a gzip archive"
    SEVEN_ZIP = "a 7-Zip archive"
    OLE = "a legacy Microsoft Office file"
    TEXT = "a text file"
    SVG = "an SVG image"


@dataclass(frozen=True)
class Accepted:
    """One accepted extension: the content it needs and the type it is stored with."""

    kind: Kind
    content_type: str
    label: str


def _office(subtype: str, label: str) -> Accepted:
    return Accepted(Kind.ZIP, f"application/vnd.openxmlformats-officedocument.{subtype}", label)


def _text(content_type: str, label: str = "a text file") -> Accepted:
    return Accepted(Kind.TEXT, content_type, label)


ACCEPTED: dict[str, Accepted] = {
    ".png": Accepted(Kind.PNG, "image/png", Kind.PNG.value),
    ".jpg": Accepted(Kind.JPEG, "image/jpeg", Kind.JPEG.value),
    ".jpeg": Accepted(Kind.JPEG, "image/jpeg", Kind.JPEG.value),
    ".gif": Accepted(Kind.GIF, "image/gif", Kind.GIF.value),
    ".webp": Accepted(Kind.WEBP, "image/webp", Kind.WEBP.value),
    ".pdf": Accepted(Kind.PDF, "application/pdf", Kind.PDF.value),
    ".docx": _office("wordprocessingml.document", "a Word document"),
    ".xlsx": _office("spreadsheetml.sheet", "an Excel workbook"),
    ".pptx": _office("presentationml.presentation", "a PowerPoint presentation"),
    ".doc": Accepted(Kind.OLE, "application/msword", "a Word document"),
    ".xls": Accepted(Kind.OLE, "application/vnd.ms-excel", "an Excel workbook"),
    ".ppt": Accepted(Kind.OLE, "application/vnd.ms-powerpoint", "a PowerPoint presentation"),
    ".msg": Accepted(Kind.OLE, "application/vnd.ms-outlook", "an Outlook message"),
    ".zip": Accepted(Kind.ZIP, "application/zip", Kind.ZIP.value),
    ".gz": Accepted(Kind.GZIP, "application/gzip", Kind.GZIP.value),
    ".tgz": Accepted(Kind.GZIP, "application/gzip", Kind.GZIP.value),
    ".7z": Accepted(Kind.SEVEN_ZIP, "application/x-7z-compressed", Kind.SEVEN_ZIP.value),
    ".txt": _text("text/plain"),
    ".text": _text("text/plain"),
    ".log": _text("text/plain", "a log file"),
    ".md": _text("text/plain"),
    ".ini": _text("text/plain"),
    ".cfg": _text("text/plain"),
    ".conf": _text("text/plain"),
    ".yaml": _text("text/plain"),
    ".yml": _text("text/plain"),
    ".diff": _text("text/plain"),
    ".patch": _text("text/plain"),
    ".csv": _text("text/csv", "a CSV file"),
    ".tsv": _text("text/tab-separated-values", "a TSV file"),
    ".json": _text("application/json", "a JSON file"),
    ".xml": _text("application/xml", "an XML file"),
    ".eml": _text("message/rfc822", "an email message"),
    ".svg": Accepted(Kind.SVG, "image/svg+xml", Kind.SVG.value),
}

# The content type of a file without an extension, by what its content is.
CONTENT_TYPES: dict[Kind, str] = {
    Kind.PNG: "image/png",
    Kind.JPEG: "image/jpeg",
    Kind.GIF: "image/gif",
    Kind.WEBP: "image/webp",
    Kind.PDF: "application/pdf",
    Kind.ZIP: "application/zip",
    Kind.GZIP: "application/gzip",
    Kind.SEVEN_ZIP: "application/x-7z-compressed",
    Kind.OLE: "application/x-ole-storage",
    Kind.TEXT: "text/plain",
    Kind.SVG: "image/svg+xml",
}

SIGNATURES: tuple[tuple[bytes, Kind], ...] = (
    (b"\x89PNG\r\n\x1a\n", Kind.PNG),
    (b"\xff\xd8\xff", Kind.JPEG),
    (b"GIF87a", Kind.GIF),
    (b"GIF89a", Kind.GIF),
    (b"%PDF-", Kind.PDF),
    (b"PK\x03\x04", Kind.ZIP),
    (b"PK\x05\x06", Kind.ZIP),  # an empty archive
    (b"\x1f\x8b", Kind.GZIP),
    (b"7z\xbc\xaf\x27\x1c", Kind.SEVEN_ZIP),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Kind.OLE),
)

PROGRAM_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\xfe\xed\xfa\xce", "a macOS program"),
    (b"\xfe\xed\xfa\xcf", "a macOS program"),
    (b"\xce\xfa\xed\xfe", "a macOS program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "a Java class or macOS program"),
    (b"\x00asm", "a WebAssembly module"),
    (b"dex\n", "an Android program"),
    (b"#!", "a script"),
)
PROGRAM_MIME_TYPES = frozenset(
    {
        "application/vnd.microsoft.portable-executable",
        "application/x-executable",
        "application/x-msdownload",
        "application/x-dosexec",
        "application/x-sharedlib",
        "application/x-mach-binary",
        "application/java",
    }
)

# Declared as they are when served; everything else is served as text/plain or octet-stream.
BINARY_CONTENT_TYPES = frozenset(
    {a.content_type for a in ACCEPTED.values() if a.kind not in {Kind.TEXT, Kind.SVG}}
) | {CONTENT_TYPES[Kind.OLE]}
TEXT_CONTENT_TYPES = frozenset({a.content_type for a in ACCEPTED.values() if a.kind is Kind.TEXT})

_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1b\x08\x07")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)}
)
# How browsers decide a resource is HTML: its first tag (WHATWG MIME sniffing, less "<!--").
_HTML_START = re.compile(
    r"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p)"
    r"[\s>]",
    re.IGNORECASE,
)
_HTML_NEAR_START = re.compile(r"<(?:!doctype\s+html|html|head|body|script|iframe)[\s>/]", re.I)
_SVG_START = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:(?:<!--.*?-->|<!doctype[^>\[]*>)\s*)*<svg[\s>/]",
    re.IGNORECASE | re.DOTALL,
)
_SVG_ANYWHERE = re.compile(r"<svg[\s>/]", re.IGNORECASE)
_SVG_DANGERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<script", re.I), "a script"),
    (re.compile(r"[\s\"'/]on[a-z]+\s*=", re.I), "event handlers (on…=)"),
    (re.compile(r"<foreignobject", re.I), "embedded HTML (foreignObject)"),
    (re.compile(r"<(?:iframe|embed|object|handler)", re.I), "embedded frames or objects"),
    (re.compile(r"<!entity", re.I), "XML entity declarations"),
)
_SVG_DANGEROUS_ADDRESSES = re.compile(
    r"(?:java|vb)script:"
    r"|data:(?:text/(?:html|javascript|ecmascript)|application/(?:xhtml|x?javascript|ecmascript))"
)
_SVG_OVERLAP_CHARS = 1024


@dataclass(frozen=True)
class Inspected:
    """An upload that passed ``inspect``: its safe name and what it really is."""

    filename: str
    content_type: str
    size: int
    sha256: str


def sanitise_filename(filename: str) -> str:
    """A safe display and download name: the last path part, no control or invisible characters
    (so no right-to-left tricks), no characters Windows forbids, no leading dots, at most
    ``MAX_FILENAME_CHARS`` characters and ``MAX_FILENAME_BYTES`` bytes, the extension kept."""
    name = unicodedata.normalize("NFC", filename)
    parts = [part for part in re.split(r"[/\\]", name) if part.strip(" .")]
    name = parts[-1] if parts else ""
    name = "".join(
        " " if _is_blank(ch) else ch
        for ch in name
        if _is_blank(ch) or not unicodedata.category(ch).startswith("C")
    )
    name = "".join("_" if ch in '<>:"|?*' else ch for ch in name)
    name = " ".join(name.split()).strip(" .")
    stem, ext = posixpath.splitext(name)
    if len(ext) > 16:
        stem, ext = name, ""
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    stem = stem[: MAX_FILENAME_CHARS - len(ext)]
    while stem and (
        len(stem + ext) > MAX_FILENAME_CHARS or len((stem + ext).encode()) > MAX_FILENAME_BYTES
    ):
        stem = stem[:-1].rstrip(" .")
    return stem + ext if stem else FALLBACK_FILENAME + ext


def _is_blank(ch: str) -> bool:
    return ch in "\t\n\r\v\f" or unicodedata.category(ch).startswith("Z")


def inspect(file: UploadedFile[bytes] | BinaryIO, filename: str, *, max_bytes: int) -> Inspected:
    """Read ``file`` once, in chunks, and return what it is, or refuse it with a clear error.

    Never reads more than ``max_bytes + 1`` bytes. The file is rewound afterwards when it can
    be, so the caller can store it.
    """
    name = sanitise_filename(filename)
    declared_size = getattr(file, "size", None)
    if isinstance(declared_size, int) and declared_size > max_bytes:
        raise _too_large(name, max_bytes)
    _rewind(file)
    try:
        chunks = _read_chunks(file, name, max_bytes)
        head_chunks: list[bytes] = []
        for chunk in chunks:
            head_chunks.append(chunk)
            if sum(map(len, head_chunks)) >= SNIFF_BYTES:
                break
        head = b"".join(head_chunks)
        if not head:
            raise RuleViolation(f"“{name}” is empty.", code="empty_file")
        content_type = _sniff(head, name)
        scanner = _SvgScanner(head, name) if content_type == CONTENT_TYPES[Kind.SVG] else None
        digest = hashlib.sha256()
        size = 0
        for chunk in itertools.chain(head_chunks, chunks):
            digest.update(chunk)
            size += len(chunk)
            if scanner:
                scanner.feed(chunk)
        if scanner:
            scanner.finish()
    finally:
        _rewind(file)
    return Inspected(filename=name, content_type=content_type, size=size, sha256=digest.hexdigest())


def download_headers(inspected: Inspected) -> dict[str, str]:
    """Headers that make a browser download the file and never sniff, render or run it."""
    if inspected.content_type in BINARY_CONTENT_TYPES:
        content_type = inspected.content_type
    elif inspected.content_type in TEXT_CONTENT_TYPES:
        content_type = "text/plain; charset=utf-8"
    else:  # SVG and anything unforeseen
        content_type = "application/octet-stream"
    return {
        "Content-Type": content_type,
        "Content-Disposition": _content_disposition(inspected.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }


def _content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and RFC 5987 ``filename*``."""
    folded = unicodedata.normalize("NFKD", filename)
    ascii_name = "".join(ch for ch in folded if not unicodedata.combining(ch))
    ascii_name = re.sub(r"[^A-Za-z0-9 ._()+,-]", "_", ascii_name)
    stem, ext = posixpath.splitext(ascii_name)
    if not stem.strip("_ ."):
        ascii_name = FALLBACK_FILENAME + ext
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _rewind(file: UploadedFile[bytes] | BinaryIO) -> None:
    seekable = getattr(file, "seekable", None)
    if callable(seekable) and seekable():
        file.seek(0)


def _read_chunks(
    file: UploadedFile[bytes] | BinaryIO, name: str, max_bytes: int
) -> Iterator[bytes]:
    total = 0
    while True:
        chunk = file.read(min(CHUNK_BYTES, max_bytes + 1 - total))
        if not chunk:
            return
        if isinstance(chunk, str):
            raise TypeError("inspect() needs a file opened in binary mode")
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(name, max_bytes)
        yield chunk


def _too_large(name: str, max_bytes: int) -> RuleViolation:
    return RuleViolation(
        f"“{name}” is larger than the {_human_size(max_bytes)} limit.", code="file_too_large"
    )


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return (
                f"{size} bytes"
                if unit == "bytes"
                else f"{value:.1f}".removesuffix(".0") + f" {unit}"
            )
        value /= 1024
    raise AssertionError("unreachable")


def _sniff(head: bytes, name: str) -> str:
    """The content type of a file starting with ``head``, or a ``RuleViolation``."""
    program = _program(head)
    if program:
        raise RuleViolation(
            f"“{name}” looks like {program}. Programs and scripts are not accepted.",
            code="executable_file",
        )
    ext = posixpath.splitext(name)[1].lower()
    expected = ACCEPTED.get(ext)
    if ext and expected is None:
        raise RuleViolation(
            f"“{name}”: files of type {ext} are not accepted.", code="unsupported_file_type"
        )
    kind = _binary_kind(head)
    if kind is None:
        text = _as_text(head)
        if text is None:
            described = _describe(head, name)
            if expected:
                raise _mismatch(name, described, expected)
            raise RuleViolation(
                f"“{name}” looks like {described}, which is not accepted.",
                code="unsupported_file_type",
            )
        kind = _text_kind(
            text, name, svg_expected=expected is not None and expected.kind is Kind.SVG
        )
    if expected is None:
        return CONTENT_TYPES[kind]
    if kind is Kind.SVG and expected.kind in {Kind.TEXT, Kind.SVG}:
        return CONTENT_TYPES[Kind.SVG]  # an SVG saved as .xml or .txt is still scanned as one
    if kind is not expected.kind:
        raise _mismatch(name, kind.value, expected)
    return expected.content_type


def _mismatch(name: str, described: str, expected: Accepted) -> RuleViolation:
    return RuleViolation(
        f"“{name}” looks like {described}, not {expected.label}.", code="file_type_mismatch"
    )


def _program(head: bytes) -> str | None:
    start = head.removeprefix(codecs.BOM_UTF8)
    for signature, label in PROGRAM_SIGNATURES:
        if start.startswith(signature):
            return label
    return None


def _binary_kind(head: bytes) -> Kind | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Kind.WEBP
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def _describe(head: bytes, name: str) -> str:
    """Name an unaccepted binary format for a message; a program gets a ``RuleViolation``."""
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return "an unrecognised binary file"
    for match in matches:
        if match.mime_type in PROGRAM_MIME_TYPES or "executable" in match.name.lower():
            raise RuleViolation(
                f"“{name}” looks like a program ({match.name}). "
                "Programs and scripts are not accepted.",
                code="executable_file",
            )
    best = matches[0]
    return f"“{best.name}” ({best.extension})" if best.extension else f"“{best.name}”"


def _as_text(head: bytes) -> str | None:
    """``head`` as text if it is text (UTF-8, a legacy 8-bit encoding, or UTF-16 with a BOM)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        even = head[: len(head) - len(head) % 2]
        try:
            text = codecs.decode(even, "utf-16")
        except UnicodeDecodeError:
            return None
    elif b"\x00" in head:
        return None
    else:
        # Latin-1 maps every byte to one character: enough to count control bytes and to find
        # ASCII markup, whatever the real 8-bit encoding is.
        text = head.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    controls = sum(1 for ch in text if (ch < " " or ch == "\x7f") and ch not in _ALLOWED_CONTROLS)
    return text if controls * 100 <= len(text) else None


def _text_kind(text: str, name: str, *, svg_expected: bool) -> Kind:
    """SVG, plain text, or a refusal for HTML. A ``.svg`` file mentioning ``<svg`` is an SVG
    even if its start is unusual (an internal DTD), so the scanner gets to name the problem."""
    if _SVG_START.match(text) or (svg_expected and _SVG_ANYWHERE.search(text)):
        return Kind.SVG
    if _HTML_START.match(text.lstrip()) or _HTML_NEAR_START.search(text[:HTML_SNIFF_CHARS]):
        raise RuleViolation(
            f"“{name}” looks like a web page (HTML). Web pages are not accepted; "
            "attach a PDF or a screenshot instead, or put it in a ZIP archive.",
            code="html_file",
        )
    return Kind.TEXT


class _SvgScanner:
    """Looks through a whole SVG, chunk by chunk, for anything that could run."""

    def __init__(self, head: bytes, name: str) -> None:
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        encoding = "utf-16" if utf16 else "latin-1"
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self.name = name
        self.tail = ""

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        window = self.tail + self.decoder.decode(chunk, final=final)
        for pattern, what in _SVG_DANGERS:
            if pattern.search(window):
                self._refuse(what)
        unescaped = html.unescape(window)
        squashed = "".join(
            ch
            for ch in unescaped
            if not ch.isspace() and unicodedata.category(ch) not in {"Cc", "Cf"}
        )
        if _SVG_DANGEROUS_ADDRESSES.search(squashed.lower()):
            self._refuse("script addresses (javascript:)")
        self.tail = window[-_SVG_OVERLAP_CHARS:]

    def finish(self) -> None:
        self.feed(b"", final=True)

    def _refuse(self, what: str) -> None:
        raise RuleViolation(
            f"“{self.name}” is an SVG image containing {what}, which is not accepted.",
            code="unsafe_svg",
        )
