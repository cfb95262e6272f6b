"""What a contact wrote in an email answer, without the quoted history, the signature or the mail client's
"On … wrote:" line.

The text part is preferred; an HTML-only email first loses its quoting elements (`<blockquote>`,
Gmail's `gmail_quote`, Outlook's reply header block) and is turned into text with inscriptis.
mail-parser-reply (a maintained port of GitHub's email_reply_parser with headers in a dozen
languages) then cuts the text at the first quoted header and drops signatures; lines still
quoted with `>` (a reply with no header above its quote) are dropped too.
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
        content = _html_text(content)
    return new_text(content)


def new_text(text: str) -> str:
    """The part of a plain-text answer above the quoted history, without a signature or `>` lines."""
    replies = _PARSER.read(text).replies
    latest = replies[0].body if replies else ""
    unquoted = "\n".join(line for line in latest.splitlines() if not line.lstrip().startswith(">"))
    return _BLANK_RUNS.sub("\n\n", unquoted).strip()


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
