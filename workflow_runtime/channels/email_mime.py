"""The wire form of an email: multipart/alternative MIME bytes written directly, for thousands of emails a second.

`email.message.EmailMessage` parses every header it is given through the header registry and
re-folds it on output: ~4 ms an email, more than the SMTP hand-over itself. A delivered email
always has the same shape (a few headers, a text and an HTML part), so it is written here as
bytes: headers checked (no line breaks) and RFC 2047-encoded when they are not plain ASCII,
addresses through `formataddr` (which refuses an address that is not ASCII), both parts base64.
"""
from __future__ import annotations

import binascii
import itertools
import secrets
import struct
from collections.abc import Iterable
from email.header import Header
from email.utils import formataddr, getaddresses
from functools import lru_cache

from workflow_runtime.channels.smtp import WireMessage

# RFC 5322's limit of a line. Plain ASCII headers up to it are written as they are: folding one that has no
# space to fold at (a long link in List-Unsubscribe) would put the break before the value, which some
# readers keep as a leading space. Longer ones, and every non-ASCII one (RFC 2047 words), are folded.
MAX_UNFOLDED = 998
# RFC 2045's longest base64 line. A part's lines are cut by one `struct` unpack (a slice per line costs four times
# as much), the structs cached by number of lines up to LINES_CUT_AT_ONCE (57 kB of text; 32 bytes a line each).
BASE64_LINE = 76
LINES_CUT_AT_ONCE = 1024
# Boundaries: unique per email without drawing random bytes for each (a system call that lets go of the interpreter
# lock, so the delivery's other threads take it and the rendering waits for them).
_PROCESS = secrets.token_hex(6)
_SERIAL = itertools.count()


def header(name: str, value: str) -> bytes:
    """One header line (folded when too long), RFC 2047-encoded if not ASCII; ValueError for a line break in it."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"the {name} header may not contain a line break")
    if value.isascii() and len(name) + 2 + len(value) <= MAX_UNFOLDED:
        return f"{name}: {value}\r\n".encode("ascii")
    folded = Header(value, "us-ascii" if value.isascii() else "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {folded}\r\n".encode("ascii")


def address(name: str | None, addr_spec: str) -> str:
    """`Name <addr>` with a non-ASCII name encoded; UnicodeEncodeError for an address that is not ASCII."""
    return formataddr((name or "", addr_spec), charset="utf-8")


def address_list(value: str, field: str) -> str:
    """Address header text as typed (`Name <addr>, addr`), re-encoded; ValueError if an entry is no address."""
    pairs = getaddresses([value])
    if not pairs or any("@" not in addr_spec for _name, addr_spec in pairs):
        raise ValueError(f"the {field} header {value!r} is not a list of email addresses")
    return ", ".join(address(name, addr_spec) for name, addr_spec in pairs)


@lru_cache(maxsize=256)
def _line_cutter(lines: int) -> struct.Struct:
    return struct.Struct(f"{BASE64_LINE}s" * lines)


def _base64_lines(text: str) -> list[bytes]:
    """`text` in UTF-8, base64-encoded in lines of BASE64_LINE characters (without their line ends)."""
    # The standard library's encoder, which holds the interpreter lock for its ~10 µs (9 kB). pybase64 takes a
    # twentieth of that but lets the lock go for each part, and the rendering then waits for the delivery's other
    # threads to hand it back: 4–8 % fewer emails a second (bench/README.md, fifth round).
    encoded = binascii.b2a_base64(text.encode("utf-8"), newline=False)
    whole = min(len(encoded) // BASE64_LINE, LINES_CUT_AT_ONCE)
    lines = list(_line_cutter(whole).unpack_from(encoded)) if whole else []
    lines += [encoded[start:start + BASE64_LINE] for start in range(whole * BASE64_LINE, len(encoded), BASE64_LINE)]
    return lines


def _part(content_type: str, text: str) -> list[bytes]:
    """A MIME part's header and base64 body, in pieces to join (each body line ended by CRLF)."""
    lines = _base64_lines(text)
    head = f'Content-Type: {content_type}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'.encode("ascii")
    return [head, b"\r\n".join(lines), b"\r\n"] if lines else [head]


def alternative(headers: Iterable[tuple[str, str]], text: str, html: str) -> WireMessage:
    """A complete multipart/alternative email (text, then HTML) with `headers` (name, value) first: every line
    ended by CRLF and none starting with a dot (headers start with their name, folded ones with a space, parts
    with `--` or base64), so SMTP sends it as it is."""
    # Base64 lines never hold a '.', so this boundary cannot occur in either part.
    boundary = f"automap.{_PROCESS}.{next(_SERIAL)}"
    return WireMessage(b"".join([
        *(header(name, value) for name, value in headers),
        b"MIME-Version: 1.0\r\n",
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode("ascii"),
        f"--{boundary}\r\n".encode("ascii"), *_part("text/plain", text),
        f"--{boundary}\r\n".encode("ascii"), *_part("text/html", html),
        f"--{boundary}--\r\n".encode("ascii"),
    ]))
