"""Static files sent brotli- or gzip-encoded to the clients that accept it, compressed once and never per request.

The canvas's build writes a `.br` and a `.gz` copy beside each file (vite-plugin-compression2, at the highest
levels: brotli 11 takes a second on the editor's chunk); `/widget.js` is not built, so it is compressed the first
time it is asked for and kept in memory. Every answer says `Vary: Accept-Encoding`, so caches keep one per coding,
and each coding has an ETag of its own, so a conditional GET answers 304 for the bytes the client holds.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import io
from pathlib import Path

import brotli
from flask import Response, request, send_file, send_from_directory
from werkzeug.security import safe_join

# The content codings offered and the suffix of their files, best first: brotli is some 15% smaller than gzip.
CODINGS = {"br": ".br", "gzip": ".gz"}


def send_precompressed(directory: Path, filename: str, *, max_age: int) -> Response:
    """`directory/filename`, or the `.br` / `.gz` file beside it when the client accepts that coding.

    Content-Type and Content-Disposition are the file's own whichever bytes are sent.
    """
    offered = [coding for coding, suffix in CODINGS.items() if is_file_in(directory, f"{filename}{suffix}")]
    coding = request.accept_encodings.best_match(offered)
    if coding is None:
        response = send_from_directory(directory, filename, max_age=max_age)
    else:
        response = send_from_directory(directory, f"{filename}{CODINGS[coding]}", download_name=Path(filename).name,
                                       max_age=max_age)
        response.content_encoding = coding
    if offered:
        response.vary.add("Accept-Encoding")
    return response


def send_compressed(directory: Path, filename: str, *, mimetype: str, max_age: int) -> Response:
    """`directory/filename` in the coding the client accepts best, compressed once per version of the file."""
    coding = request.accept_encodings.best_match(list(CODINGS))
    if coding is None:
        response = send_from_directory(directory, filename, mimetype=mimetype, max_age=max_age)
    else:
        path = directory / filename
        modified = path.stat().st_mtime_ns
        body, etag = _compress(path, modified, coding)
        response = send_file(io.BytesIO(body), mimetype=mimetype, download_name=filename, etag=etag,
                             last_modified=modified / 1e9, max_age=max_age)
        response.content_encoding = coding
    response.vary.add("Accept-Encoding")
    return response


def is_file_in(directory: Path, filename: str) -> bool:
    """Whether `filename` is a file inside `directory` (a name climbing out of it never is)."""
    path = safe_join(str(directory), filename)
    return path is not None and Path(path).is_file()


@functools.lru_cache(maxsize=16)
def _compress(path: Path, modified: int, coding: str) -> tuple[bytes, str]:
    """The file's bytes in `coding` and their ETag; `modified` is in the key so an edited file is compressed anew."""
    data = path.read_bytes()
    body = brotli.compress(data, quality=11) if coding == "br" else gzip.compress(data, compresslevel=9, mtime=0)
    return body, hashlib.sha256(body).hexdigest()
