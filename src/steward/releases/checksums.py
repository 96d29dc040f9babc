"""SHA-256 of a file, streamed: the file is read in chunks, never into memory at once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

#: How much of a file is read at a time.
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Digest:
    """A file's SHA-256 (64 lower-case hex digits) and its size in bytes."""

    checksum: str
    size_bytes: int


def digest(chunks: Iterable[bytes]) -> Digest:
    """The SHA-256 and size of the bytes ``chunks`` yields, one chunk at a time."""
    sha = hashlib.sha256()
    size = 0
    for chunk in chunks:
        sha.update(chunk)
        size += len(chunk)
    return Digest(sha.hexdigest(), size)


def file_chunks(path: str | Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The bytes of the file at ``path``, ``chunk_bytes`` at a time (``OSError`` if unreadable)."""
    with Path(path).open("rb") as stream:
        while chunk := stream.read(chunk_bytes):
            yield chunk


def normalise(checksum: str) -> str:
    """A checksum as stored: lower-case hex without spaces (``sha256:`` prefix dropped)."""
    text = checksum.strip().lower()
    return text.removeprefix("sha256:").strip()
