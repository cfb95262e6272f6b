"""The MIME writer's parts: base64 in lines of 76 characters that a mail reader decodes back to the text."""
from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from workflow_runtime.channels import email_mime

# Bytes of text around the edges of a line (57 bytes make 76 base64 characters) and of the lines cut at once.
LINE_TEXT = 57
SIZES = [0, 1, LINE_TEXT - 1, LINE_TEXT, LINE_TEXT + 1, LINE_TEXT * 3 + 2,
         LINE_TEXT * email_mime.LINES_CUT_AT_ONCE - 1, LINE_TEXT * email_mime.LINES_CUT_AT_ONCE,
         LINE_TEXT * email_mime.LINES_CUT_AT_ONCE + 1, LINE_TEXT * (email_mime.LINES_CUT_AT_ONCE + 70) + 5]


@pytest.mark.parametrize("size", SIZES)
def test_a_part_decodes_back_to_its_text_in_lines_of_76(size: int) -> None:
    text = "".join(chr(ord("a") + number % 26) for number in range(size))  # `size` bytes
    html = f"<p>café {text}</p>"
    wire = bytes(email_mime.alternative([("Subject", "Hello")], text, html))

    body = wire.split(b"\r\n\r\n", 1)[1]
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    assert b"\n" not in body.replace(b"\r\n", b"")
    email = message_from_bytes(wire, policy=SMTP)
    assert isinstance(email, EmailMessage)
    text_part, html_part = email.iter_parts()
    assert (text_part.get_content(), html_part.get_content()) == (text, html)
