"""Read a policy file safely: size limit, binary garbage, encoding, format detection."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from policygraph.errors import IngestError
from policygraph.models import SourceFormat

SUFFIX_FORMATS: dict[str, SourceFormat] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
}


@dataclass(frozen=True)
class SourceFile:
    path: str
    text: str
    sha256: str
    format: SourceFormat  # policygraph-md | markdown | text | html | yaml | json


def decode_policy_bytes(data: bytes, path: str, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise IngestError(path, f"file is {len(data):,} bytes, over the limit of {max_bytes:,} bytes")
    if not data.strip():
        raise IngestError(path, "file is empty")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise IngestError(path, f"binary data (NUL byte at offset {nul}): not a text document", line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IngestError(path, f"not valid UTF-8 text (bad byte at offset {exc.start})", line) from None
    controls = sum(1 for ch in text[:10000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 10:
        raise IngestError(path, f"{controls} control characters in the first 10,000: not a text document")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_source(path: str | Path, max_bytes: int = 10 * 1024 * 1024, data: bytes | None = None) -> SourceFile:
    p = Path(path)
    fmt = SUFFIX_FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise IngestError(str(p), f"unsupported file type {p.suffix!r} (use .md, .txt, .html, .yaml or .json)")
    if data is None:
        try:
            size = p.stat().st_size
            if size > max_bytes:  # refuse before reading 50 MB into memory
                raise IngestError(str(p), f"file is {size:,} bytes, over the limit of {max_bytes:,} bytes")
            data = p.read_bytes()
        except OSError as exc:
            raise IngestError(str(p), f"cannot read file: {exc.strerror or exc}") from None
    text = decode_policy_bytes(data, str(p), max_bytes)
    if fmt == "markdown" and text.lstrip("\ufeff").startswith("---\n"):
        fmt = "policygraph-md"
    return SourceFile(path=str(p), text=text, sha256=hashlib.sha256(data).hexdigest(), format=fmt)
