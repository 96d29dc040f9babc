"""Uploads are sniffed from their content, refused with clear messages, served as downloads."""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.core import uploads
from steward.core.errors import RuleViolation

MB = 1024 * 1024


def make_png() -> bytes:
    """A valid 1x1 greyscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def make_zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def make_docx() -> bytes:
    return make_zip(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Override PartName="/word/document.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                "</Types>"
            ),
            "word/document.xml": "<w:document/>",
        }
    )


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10" fill="blue"/></svg>\n'
)


class CountingStream(io.RawIOBase):
    """A file backed by a generator, counting the bytes handed out."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self.pieces = pieces
        self.pending = b""
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            try:
                self.pending = next(self.pieces)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        self.bytes_read += n
        return n


def endless(piece: bytes) -> Iterator[bytes]:
    while True:
        yield piece


def refusal(content: bytes, filename: str, *, max_bytes: int = MB) -> RuleViolation:
    """The RuleViolation inspect() raises for ``content`` named ``filename``."""
    with pytest.raises(RuleViolation) as caught:
        uploads.inspect(io.BytesIO(content), filename, max_bytes=max_bytes)
    return caught.value


# -- refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename", "message", "code"),
    [
        (
            EXE,
            "invoice.pdf",
            "“invoice.pdf” looks like a Windows program. Programs and scripts are not accepted.",
            "executable_file",
        ),
        (
            ELF,
            "notes.txt",
            "“notes.txt” looks like a Linux program. Programs and scripts are not accepted.",
            "executable_file",
        ),
        (
            b"#!/bin/sh\nrm -rf /\n",
            "readme.txt",
            "“readme.txt” looks like a script. Programs and scripts are not accepted.",
            "executable_file",
        ),
        (
            b"\xca\xfe\xba\xbe\x00\x00\x00\x34",
            "photo.jpg",
            "“photo.jpg” looks like a Java class or macOS program. "
            "Programs and scripts are not accepted.",
            "executable_file",
        ),
        (
            b"<!DOCTYPE html>\n<html><body><p>Hi</p></body></html>",
            "notes.txt",
            "“notes.txt” looks like a web page (HTML). Web pages are not accepted; "
            "attach a PDF or a screenshot instead, or put it in a ZIP archive.",
            "html_file",
        ),
        (
            b"Dear desk,\n<script>fetch('/api/')</script>",
            "mail.eml",
            "“mail.eml” looks like a web page (HTML). Web pages are not accepted; "
            "attach a PDF or a screenshot instead, or put it in a ZIP archive.",
            "html_file",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "logo.svg",
            "“logo.svg” is an SVG image containing a script, which is not accepted.",
            "unsafe_svg",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "logo.svg",
            "“logo.svg” is an SVG image containing event handlers (on…=), which is not accepted.",
            "unsafe_svg",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p>'
            b"</foreignObject></svg>",
            "logo.svg",
            "“logo.svg” is an SVG image containing embedded HTML (foreignObject), "
            "which is not accepted.",
            "unsafe_svg",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<a xlink:href="jav&#x61;&#x0A;script:alert(1)"><rect/></a></svg>',
            "logo.svg",
            "“logo.svg” is an SVG image containing script addresses (javascript:), "
            "which is not accepted.",
            "unsafe_svg",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x "y">]>\n<svg>&x;</svg>',
            "logo.svg",
            "“logo.svg” is an SVG image containing XML entity declarations, which is not accepted.",
            "unsafe_svg",
        ),
        (
            b"Joy!peffpwpc" + b"\x00" * 40,
            "app",
            "“app” looks like a program (PEF executable). Programs and scripts are not accepted.",
            "executable_file",
        ),
        (
            b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
            "page.xml",
            "“page.xml” looks like a web page (HTML). Web pages are not accepted; "
            "attach a PDF or a screenshot instead, or put it in a ZIP archive.",
            "html_file",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "drawing.txt",
            "“drawing.txt” is an SVG image containing a script, which is not accepted.",
            "unsafe_svg",
        ),
        (
            b"just the words of a note, nothing else\n",
            "logo.svg",
            "“logo.svg” looks like a text file, not an SVG image.",
            "file_type_mismatch",
        ),
        (
            b"just some text\n",
            "report.pdf",
            "“report.pdf” looks like a text file, not a PDF document.",
            "file_type_mismatch",
        ),
        (
            make_zip({"a.txt": "hi"}),
            "report.pdf",
            "“report.pdf” looks like a ZIP archive, not a PDF document.",
            "file_type_mismatch",
        ),
        (
            PDF,
            "photo.png",
            "“photo.png” looks like a PDF document, not a PNG image.",
            "file_type_mismatch",
        ),
        (
            make_png(),
            "notes.txt",
            "“notes.txt” looks like a PNG image, not a text file.",
            "file_type_mismatch",
        ),
        (
            b"BM" + b"\x00" * 60,
            "photo.png",
            "“photo.png” looks like “Microsoft Windows Bitmap image” (.bmp), not a PNG image.",
            "file_type_mismatch",
        ),
        (
            bytes(range(256)) * 4,
            "data",
            "“data” looks like an unrecognised binary file, which is not accepted.",
            "unsupported_file_type",
        ),
        (
            b"@echo off\r\ndel C:\\\r\n",
            "run.bat",
            "“run.bat”: files of type .bat are not accepted.",
            "unsupported_file_type",
        ),
        (
            b"<p>hello</p>",
            "page.html",
            "“page.html”: files of type .html are not accepted.",
            "unsupported_file_type",
        ),
        (
            b"hello",
            "invoice.pdf.exe",
            "“invoice.pdf.exe”: files of type .exe are not accepted.",
            "unsupported_file_type",
        ),
        (b"", "empty.txt", "“empty.txt” is empty.", "empty_file"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(
    content: bytes, filename: str, message: str, code: str
) -> None:
    # Given a bad file, When inspected, Then it is refused saying exactly why
    error = refusal(content, filename)
    assert error.messages == [message]
    assert error.code == code


def test_svg_script_far_beyond_the_first_chunk_is_found() -> None:
    # Given an SVG whose script sits after a megabyte of harmless paths, split across chunks
    padding = b'<path d="M0 0L1 1"/>\n' * (MB // 20)
    content = b'<svg xmlns="http://www.w3.org/2000/svg">' + padding + b"<script>x</script></svg>"
    # When inspected, Then the script is found
    error = refusal(content, "big.svg", max_bytes=4 * MB)
    assert error.code == "unsafe_svg"


def test_svg_in_utf16_is_scanned_too() -> None:
    content = '<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>'.encode("utf-16")
    assert refusal(content, "logo.svg").code == "unsafe_svg"


def test_oversize_file_is_refused_without_reading_it_all() -> None:
    # Given an endless stream that counts what is read
    stream = CountingStream(endless(b"a" * 1000))
    # When inspected with a 100 kB limit
    with pytest.raises(RuleViolation) as caught:
        uploads.inspect(io.BufferedReader(stream), "log.txt", max_bytes=100_000)
    # Then it is refused, having read at most one buffer past the limit
    assert caught.value.messages == ["“log.txt” is larger than the 97.7 KB limit."]
    assert caught.value.code == "file_too_large"
    assert stream.bytes_read <= 100_001 + io.DEFAULT_BUFFER_SIZE


def test_oversize_upload_is_refused_by_its_declared_size_before_reading() -> None:
    # Given an uploaded file Django already knows is 2 MB
    upload = SimpleUploadedFile("big.txt", b"a" * (2 * MB), content_type="text/plain")
    upload.seek(5)
    # When inspected with a 1 MB limit
    with pytest.raises(RuleViolation) as caught:
        uploads.inspect(upload, "big.txt", max_bytes=MB)
    # Then it is refused without a byte read
    assert caught.value.messages == ["“big.txt” is larger than the 1 MB limit."]
    assert upload.tell() == 5


def test_file_exactly_at_the_limit_is_accepted() -> None:
    result = uploads.inspect(io.BytesIO(b"a" * 1000), "a.txt", max_bytes=1000)
    assert result.size == 1000


def test_short_reads_still_see_the_whole_head() -> None:
    # Given a stream that hands out a few bytes at a time, starting with a PE header
    stream = CountingStream(iter([EXE[i : i + 3] for i in range(0, len(EXE), 3)]))
    # When inspected as a PDF, Then it is still recognised as a program
    with pytest.raises(RuleViolation) as caught:
        uploads.inspect(cast(BinaryIO, stream), "x.pdf", max_bytes=MB)
    assert caught.value.code == "executable_file"


# -- accepted --------------------------------------------------------------------------------

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("content", "filename", "content_type"),
    [
        (make_png(), "screenshot.PNG", "image/png"),
        (make_png(), "screenshot", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 20, "photo.jpeg", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "anim.gif", "image/gif"),
        (b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 14, "photo.webp", "image/webp"),
        (PDF, "report.pdf", "application/pdf"),
        (make_docx(), "minutes.docx", DOCX_TYPE),
        (make_zip({"a.txt": "hi"}), "logs.zip", "application/zip"),
        (gzip.compress(b"log line\n", mtime=0), "app.log.gz", "application/gzip"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 24, "bundle.7z", "application/x-7z-compressed"),
        (OLE, "old.xls", "application/vnd.ms-excel"),
        (OLE, "mail.msg", "application/vnd.ms-outlook"),
        (b"name,team\nAnn,Desk\n", "people.csv", "text/csv"),
        ("Grüße, 東京 — ✓\n".encode(), "notes.txt", "text/plain"),
        ("Grüße\r\n".encode("cp1252"), "legacy.txt", "text/plain"),
        ("PowerShell log\r\n".encode("utf-16"), "ps.log", "text/plain"),
        (b"\x1b[31mERROR\x1b[0m disk full\n", "app.log", "text/plain"),
        (b'{"a": 1}', "data.json", "application/json"),
        (b'<?xml version="1.0"?>\n<!-- exported -->\n<config a="1"/>', "c.xml", "application/xml"),
        (b"From: a@example.org\nSubject: hi\n\nbody\n", "mail.eml", "message/rfc822"),
        (b"plain words, no extension", "README", "text/plain"),
        (SVG, "logo.svg", "image/svg+xml"),
        (SVG, "logo.xml", "image/svg+xml"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'>"
            b"<image href='data:image/png;base64,AA'/></svg>",
            "logo.svg",
            "image/svg+xml",
        ),
        (b"GET /search?q=" + b"x" * 600 + b"<script>alert(1)</script>", "waf.log", "text/plain"),
    ],
)
def test_good_files_are_accepted_with_their_sniffed_type(
    content: bytes, filename: str, content_type: str
) -> None:
    # Given a good file, When inspected
    result = uploads.inspect(io.BytesIO(content), filename, max_bytes=MB)
    # Then its sniffed type, size and digest are recorded
    assert result == uploads.Inspected(
        filename=filename,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def test_uploaded_file_is_rewound_for_the_caller() -> None:
    # Given a Django upload
    upload = SimpleUploadedFile("minutes.docx", make_docx())
    # When inspected
    result = uploads.inspect(upload, upload.name or "", max_bytes=MB)
    # Then it is what it says, and can be read again from the start
    assert result.content_type == DOCX_TYPE
    assert upload.tell() == 0
    assert upload.read() == make_docx()


# -- filenames -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\ann\\My Report.docx", "My Report.docx"),
        ("dir/", "dir"),
        ("na\x00me\x1f.txt", "name.txt"),
        ("evil\u202efdp.exe", "evilfdp.exe"),
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("  .hidden  ", "hidden"),
        ("trailing. . .", "trailing"),
        ('a<b>:c"d|e?f*.txt', "a_b__c_d_e_f_.txt"),
        ("tabs\tand\nnew  lines.txt", "tabs and new lines.txt"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("Grüße 東京.txt", "Grüße 東京.txt"),
        ("Cafe\u0301.txt", "Café.txt"),
        ("", "attachment"),
        ("../..", "attachment"),
        ("\x00\x01", "attachment"),
        (".pdf", "pdf"),
        ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
        ("東" * 300 + ".txt", "東" * 83 + ".txt"),
        ("a." + "b" * 40, "a." + "b" * 40),
    ],
)
def test_filenames_are_sanitised(given: str, expected: str) -> None:
    assert uploads.sanitise_filename(given) == expected


def test_sanitised_names_fit_filesystems() -> None:
    name = uploads.sanitise_filename("é" * 1000 + ".txt")
    assert len(name) <= uploads.MAX_FILENAME_CHARS
    assert len(name.encode()) <= uploads.MAX_FILENAME_BYTES
    assert name.endswith(".txt")


def test_inspect_reports_the_sanitised_name() -> None:
    result = uploads.inspect(io.BytesIO(b"hello"), "../../secret/notes.txt", max_bytes=MB)
    assert result.filename == "notes.txt"


# -- serving ---------------------------------------------------------------------------------


def inspected(filename: str, content_type: str) -> uploads.Inspected:
    return uploads.Inspected(filename=filename, content_type=content_type, size=1, sha256="0")


def test_download_headers_for_a_pdf() -> None:
    assert uploads.download_headers(inspected("report.pdf", "application/pdf")) == {
        "Content-Type": "application/pdf",
        "Content-Disposition": "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }


@pytest.mark.parametrize(
    ("content_type", "served_as"),
    [
        ("image/png", "image/png"),
        (DOCX_TYPE, DOCX_TYPE),
        ("application/x-ole-storage", "application/x-ole-storage"),
        ("text/plain", "text/plain; charset=utf-8"),
        ("text/csv", "text/plain; charset=utf-8"),
        ("application/json", "text/plain; charset=utf-8"),
        ("application/xml", "text/plain; charset=utf-8"),
        ("message/rfc822", "text/plain; charset=utf-8"),
        ("image/svg+xml", "application/octet-stream"),
        ("text/html", "application/octet-stream"),
        ("application/unknown", "application/octet-stream"),
    ],
)
def test_text_and_svg_are_never_served_as_renderable_types(
    content_type: str, served_as: str
) -> None:
    headers = uploads.download_headers(inspected("f", content_type))
    assert headers["Content-Type"] == served_as


def test_download_headers_encode_unicode_names() -> None:
    headers = uploads.download_headers(inspected('Grüße 東京 "x".pdf', "application/pdf"))
    assert headers["Content-Disposition"] == (
        'attachment; filename="Gru_e __ _x_.pdf"; '
        "filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%E6%9D%B1%E4%BA%AC%20%22x%22.pdf"
    )


def test_download_headers_fall_back_for_names_without_ascii() -> None:
    headers = uploads.download_headers(inspected("東京.pdf", "application/pdf"))
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"attachment.pdf\"; filename*=UTF-8''%E6%9D%B1%E4%BA%AC.pdf"
    )


# -- anything at all -------------------------------------------------------------------------

PREFIXES = [b"", make_png()[:8], PDF[:5], EXE[:2], SVG[:40], b"<svg ", b"<html>", b"PK\x03\x04"]
PREFIXES += [codecs.BOM_UTF16_LE, codecs.BOM_UTF8, b"#!", b"RIFF\x00\x00\x00\x00WEBP"]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(PREFIXES),
    st.binary(max_size=300),
    st.text(max_size=40),
    st.sampled_from(["", ".txt", ".svg", ".pdf", ".png", ".xml", ".zip", ".exe"]),
)
def test_any_upload_is_inspected_or_refused_cleanly(
    prefix: bytes, body: bytes, stem: str, ext: str
) -> None:
    # Given any bytes under any name, When inspected
    try:
        result = uploads.inspect(io.BytesIO(prefix + body), stem + ext, max_bytes=200)
    except RuleViolation as error:
        # Then either it is refused with a message
        assert error.messages
        return
    # or accepted as something that is never served as HTML, under a safe name
    headers = uploads.download_headers(result)
    assert "html" not in result.content_type
    assert "html" not in headers["Content-Type"]
    assert not {"\r", "\n", "\x00", "/", "\\"} & set(result.filename)
    assert not {"\r", "\n"} & set(headers["Content-Disposition"])
