"""An email answer's new text: the reply parser reads only a bounded start of it, so a crafted email costs it
milliseconds, and what it reads gives the answer it gave before the bounds."""
from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from workflow_runtime.channels import reply_text
from workflow_runtime.channels.reply_text import (
    MAX_HTML_CHARACTERS,
    MAX_PARSED_CHARACTERS,
    MAX_TEXT_CHARACTERS,
    PARSED_LINE_CHARACTERS,
    new_text,
)

MARK = "\u2060"
# Outlook and Apple Mail send a paragraph as one line.
PARAGRAPH = "Yes please, hold the blue lamp until Friday: I will pick it up on my way home from work. " * 4
DISCLAIMER = ("CONFIDENTIALITY: This e-mail and any attachments are confidential and may be privileged. If you are "
              "not the intended recipient, please notify the sender immediately by return e-mail and delete it.")
# What makes mail-parser-reply slow: its signature pattern starts `\s*^` (square of a run of blank
# lines: 32 KB of them took minutes) and its Danish and Swedish headers `.+?\s?.+?` after each
# "skrev" (cube of a line's length), anchored at lines starting "Den" or a digit.
CRAFTED = {
    "blank lines": "Hi\n" + "\n" * 32_000 + "there",
    "blank lines with spaces": "Hi\n" + " \n" * 16_000 + "there",
    "one long header-like line": "Den " + "a skrev " * 4_000,
    "many header-like lines": ("Den " + "a skrev " * 24 + "\n") * 170,
    "quoted lines": "Hi\n" + ("> " * 50 + "\n") * 320,
}


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The texts the reply parser is given."""
    texts: list[str] = []
    read = reply_text._PARSER.read

    def spy(text: str):  # noqa: ANN202 - the parser's own type
        texts.append(text)
        return read(text)

    monkeypatch.setattr(reply_text._PARSER, "read", spy)
    yield texts


@pytest.mark.parametrize("text", CRAFTED.values(), ids=CRAFTED.keys())
def test_a_crafted_text_reaches_the_parser_only_up_to_the_bounds(parsed: list[str], text: str) -> None:
    assert len(text) > 30_000
    new_text(text)
    [seen] = parsed
    assert len(seen.replace(f"{MARK}\n{MARK}", "")) <= MAX_PARSED_CHARACTERS
    assert max(len(line) for line in seen.split("\n")) <= PARSED_LINE_CHARACTERS + 2  # and the marks of a split
    assert "\n\n\n" not in seen and not any(line.startswith(">") for line in seen.split("\n"))


def test_an_html_part_is_read_only_up_to_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(reply_text, "_html_text", lambda html: seen.append(html) or "Friday works")
    email = EmailMessage()
    email.set_content("<p>Friday works</p>" + "<p>a</p>" * 100_000, subtype="html")
    assert reply_text.reply_text(email) == "Friday works"
    assert [len(html) for html in seen] == [MAX_HTML_CHARACTERS]


def test_long_lines_are_split_for_the_parser_and_joined_in_the_answer(parsed: list[str]) -> None:
    outlook = (f"{PARAGRAPH}\n\nThanks again!\n\nBoris\n\n{DISCLAIMER}\n\n"
               "From: Anna from support <noreply@shop.example>\nSent: Monday, March 2, 2026 10:40 AM\n"
               f"To: Boris <boris@example.com>\nSubject: Your cart\n\n{PARAGRAPH}")
    assert new_text(outlook) == f"{PARAGRAPH.strip()}\n\nThanks again!\n\nBoris"
    assert any(line.endswith(MARK) for line in parsed[0].split("\n")), "the paragraph was split for the parser"

    gmail = f"{PARAGRAPH}\n-- \nBoris Petrov\n\nOn Mon, 2 Mar 2026 at 10:40, Anna <noreply@shop.example> wrote:\n> Hi"
    assert new_text(gmail) == PARAGRAPH.strip()


def test_the_start_of_a_long_answer_is_read_and_found_too_long() -> None:
    """A header beyond what the parser reads leaves it more text than the chat takes: refused for its length."""
    answer = new_text(f"{PARAGRAPH}\n" * 100 + "\nOn Mon, 2 Mar 2026 at 10:40, Anna <noreply@shop.example> wrote:\n> Hi")
    assert 5000 < len(answer) <= MAX_PARSED_CHARACTERS
    assert answer.startswith(PARAGRAPH.strip()) and MARK not in answer


def test_bottom_posting_finds_the_answer_below_a_quote_longer_than_the_parser_reads() -> None:
    """Quoted lines are dropped before the parser's bound is counted."""
    quote = "On Mon, 2 Mar 2026 at 10:40, Anna <noreply@shop.example> wrote:\n" + "> Shall I hold it?\n" * 800
    assert MAX_PARSED_CHARACTERS < len(quote) < MAX_TEXT_CHARACTERS
    assert new_text(f"{quote}\nYes, until Friday.") == "Yes, until Friday."
