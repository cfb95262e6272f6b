"""What a contact wrote in an email answer, without the quoted history, the signature or the mail client's
"On … wrote:" line.

The text part is preferred; an HTML-only email first loses its quoting elements (`<blockquote>`,
Gmail's `gmail_quote`, Outlook's reply header block) and is turned into text with inscriptis.
Lines quoted with `>` are dropped, and mail-parser-reply (a maintained port of GitHub's
email_reply_parser with headers in a dozen languages) cuts the rest at the first quoting
header and drops signatures. Only the start of the text is read, in bounded lines (see the
bounds below), so a crafted email costs the parser milliseconds, not seconds.
"""
from __future__ import annotations

import re
from email.message import EmailMessage

import lxml.html
from inscriptis import get_text
from lxml.etree import ParserError
from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

# Every language the parser knows the quoting headers of ("david" is a test fixture of the library).
_PARSER = EmailReplyParser(languages=[language for language in MAIL_LANGUAGES if language != "david"])
_QUOTING = ("//blockquote | //*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]"
            " | //*[@id='divRplyFwdMsg'] | //*[@id='appendonsend']/following-sibling::*")
_BLANK_RUNS = re.compile(r"\n{3,}")

# The parser's regular expressions take time growing with the square of a run of blank lines
# and with the square, or for some quoting headers the cube, of a line's length: a crafted
# 32 KB text took 20 s of CPU. So an answer is read from the first MAX_TEXT_CHARACTERS of the text
# (made from the first MAX_HTML_CHARACTERS of an HTML part). Lines quoted with `>` (the quoted
# history) are dropped and runs of blank lines become one, as the answer shows them. The parser
# reads the first MAX_PARSED_CHARACTERS of what is left: room for the longest answer the chat
# takes (onsite.MAX_REPLY_CHARACTERS, 5,000) and the quoting header below it, so an answer whose
# header this cut loses is too long for the chat all the same. A line longer than
# PARSED_LINE_CHARACTERS (no quoting header is that long) is split for the parser at a mark it
# cannot take for the start of a line, and joined again in the answer.
MAX_HTML_CHARACTERS = 100_000
MAX_TEXT_CHARACTERS = 20_000
MAX_PARSED_CHARACTERS = 6_000
PARSED_LINE_CHARACTERS = 150
_MARK = "\u2060"  # WORD JOINER: invisible, and not whitespace, so the parser's stripping of lines keeps it
_LINE_SPLIT = f"{_MARK}\n{_MARK}"


class UnreadableEmail(ValueError):
    """The email's text cannot be decoded (an unknown charset, a broken part)."""


def reply_text(message: EmailMessage) -> str:
    """The new text of an email answer (empty if it holds nothing but quotes, a signature or no text at all)."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError) as error:
        raise UnreadableEmail(f"the email's text cannot be decoded: {error}") from error
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = _html_text(content[:MAX_HTML_CHARACTERS])
    return new_text(content)


def new_text(text: str) -> str:
    """The part of a plain-text answer above the quoted history, without a signature or `>` lines."""
    replies = _PARSER.read(_parser_input(text)).replies
    latest = _join_split_lines(replies[0].body) if replies else ""
    return _BLANK_RUNS.sub("\n\n", latest).strip()  # a removed disclaimer may leave blank lines around it


def _parser_input(text: str) -> str:
    """What the parser reads of a plain-text answer: its unquoted start, in short lines (see the bounds above)."""
    lines: list[str] = []
    # A mark the sender wrote would be taken for one of ours: the invisible character goes.
    for line in text[:MAX_TEXT_CHARACTERS].replace(_MARK, "").replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if line.startswith(">") or (not line and lines and not lines[-1]):
            continue
        lines.append(line)
    kept = "\n".join(lines)[:MAX_PARSED_CHARACTERS]
    return "\n".join(_LINE_SPLIT.join(line[start:start + PARSED_LINE_CHARACTERS]
                                      for start in range(0, len(line), PARSED_LINE_CHARACTERS))
                     for line in kept.split("\n"))


def _join_split_lines(text: str) -> str:
    """The parser's answer with the lines `_parser_input` split joined again."""
    lines: list[str] = []
    for line in text.split("\n"):
        # A piece whose start the parser removed (a disclaimer, which runs to the end of its line) goes too.
        if line.startswith(_MARK) and not (lines and lines[-1].endswith(_MARK)):
            continue
        lines.append(line)
    # A removal may also end at a mark, which is left alone at the end of a line.
    return "\n".join(lines).replace(_LINE_SPLIT, "").replace(_MARK, "")


def _html_text(html: str) -> str:
    """An HTML answer as text, its quoting elements removed first."""
    if not html.strip():
        return ""
    try:
        tree = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return get_text(html)
    for quoted in tree.xpath(_QUOTING):
        quoted.drop_tree()
    return get_text(lxml.html.tostring(tree, encoding="unicode"))
