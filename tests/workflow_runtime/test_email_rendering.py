"""The email channel's parts: SMTP URLs, signed tracking tokens, and compile-once rendering with escaping and
click tracking of the links the template wrote (personalised ones only on an allow-listed domain)."""
from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from itsdangerous import Signer
from itsdangerous.encoding import base64_encode

from workflow_runtime.channels.email_render import EmailSource, render_email
from workflow_runtime.channels.email_template import CompiledCache, MjmlError, compile_mjml, inline_key
from workflow_runtime.channels.smtp import SmtpServer
from workflow_runtime.channels.tracking import CLICK, OPEN, UNSUBSCRIBE, BadToken, Tracking

TRACKING = Tracking("secret", "https://automap.example")
SHOP_ALLOWED = Tracking("secret", "https://automap.example", ("shop.example",))
PHISH = "https://evil.example/phish"
LINKS_MJML = ('<mjml><mj-body><mj-text><a href="{{ website }}">My site</a> <a href="https://shop.example/sale">Sale</a>'
              ' <a href="https://shop.example/?c={{ promo_code }}">Shop</a></mj-text></mj-body></mjml>')


def test_smtp_urls_name_host_port_security_and_credentials() -> None:
    assert SmtpServer.from_url("smtp://mail.example") == SmtpServer("mail.example", 25)
    assert SmtpServer.from_url("smtps://me%40shop:p%2Fw@mail.example") == SmtpServer(
        "mail.example", 465, implicit_tls=True, username="me@shop", password="p/w")
    assert SmtpServer.from_url("smtp://mail.example:587?starttls=true").starttls is True
    for url, complaint in (("http://mail.example", "smtp://"), ("smtp://:25", "names no host")):
        with pytest.raises(ValueError, match=complaint):
            SmtpServer.from_url(url)


def test_tracking_tokens_name_their_message_and_target_and_nothing_else() -> None:
    click = TRACKING.url(CLICK, 7, "https://shop.example/a?b=1&c=ü").rsplit("/", 1)[1]
    assert TRACKING.read(CLICK, click) == (7, "https://shop.example/a?b=1&c=ü")
    unsubscribe = TRACKING.url(UNSUBSCRIBE, 7).rsplit("/", 1)[1]
    assert TRACKING.read(UNSUBSCRIBE, unsubscribe) == (7, None)
    message_id, target, signature = click.split(".")
    for forged in (f"8.{target}.{signature}", f"{message_id}.aHR0cHM6Ly9ldmlsLmV4YW1wbGU.{signature}", "7", "x.y.z"):
        with pytest.raises(BadToken):
            TRACKING.read(CLICK, forged)
    with pytest.raises(BadToken):  # a pixel token does not unsubscribe
        TRACKING.read(UNSUBSCRIBE, TRACKING.url(OPEN, 7).rsplit("/", 1)[1])
    with pytest.raises(BadToken):  # another server's secret
        Tracking("other", "https://automap.example").read(UNSUBSCRIBE, unsubscribe)


def test_tracking_tokens_are_itsdangerous_signatures_so_links_already_sent_keep_working() -> None:
    for purpose, payload, target in ((OPEN, b"7", None), (UNSUBSCRIBE, b"7", None),
                                     (CLICK, b"7." + base64_encode("https://shop.example/ü"), "https://shop.example/ü")):
        expected = Signer(TRACKING.secret_key, salt=f"automap.email.{purpose}").sign(payload).decode()
        assert TRACKING.url(purpose, 7, target).rsplit("/", 1)[1] == expected


def test_a_click_token_names_an_http_url_or_is_refused() -> None:
    assert TRACKING.click_target(TRACKING.url(CLICK, 7, "https://shop.example/").rsplit("/", 1)[1]) == (
        7, "https://shop.example/")
    for target in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example/", "https:evil",
                   ""):
        with pytest.raises(BadToken):  # signed with this server's key, but no link it would make
            TRACKING.click_target(TRACKING.url(CLICK, 7, target).rsplit("/", 1)[1])


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://shop.example/x?y=1", True),
    ("http://www.shop.example:8080/", True),
    ("HTTPS://SHOP.EXAMPLE/", True),
    ("https://evilshop.example/", False),
    ("https://shop.example.evil.example/", False),
    ("https://shop.example@evil.example/", False),
    ("https://evil.example\\@shop.example/", False),  # a browser reads evil.example
    ("https://evil.example\\.shop.example/", False),
    ("https://evil.example%2Eshop.example/", False),
    ("https://shop.example:x@evil.example/", False),
    ("javascript://shop.example/%0aalert(1)", False),
    ("https:shop.example", False),
    ("https://[::1/", False),  # malformed: refused, not raised
    ("https://evil.example/phish", False),
])
def test_a_personalised_url_is_allowed_only_on_a_plainly_written_allowed_host(url: str, allowed: bool) -> None:
    assert SHOP_ALLOWED.allows(url) is allowed
    assert TRACKING.allows(url) is False  # no AUTOMAP_LINK_DOMAINS: none is


def test_a_personalised_link_stays_as_it_is_while_literal_links_are_tracked() -> None:
    source = EmailSource(inline_key(LINKS_MJML), "s", LINKS_MJML)
    rendered = render_email(source, {"website": PHISH, "promo_code": "SAVE10"}, TRACKING.links_for(5), CompiledCache())
    assert f'href="{PHISH}"' in rendered.html and f"({PHISH})" in rendered.text  # shown, untracked
    assert 'href="https://shop.example/?c=SAVE10"' in rendered.html
    tokens = re.findall(r"https://automap\.example/t/c/([\w.-]+)", rendered.html + rendered.text)
    assert {TRACKING.read(CLICK, token) for token in tokens} == {(5, "https://shop.example/sale")}


def test_a_personalised_link_on_an_allowed_domain_is_tracked() -> None:
    source = EmailSource(inline_key(LINKS_MJML), "s", LINKS_MJML)
    for website in (PHISH, "https://evil.example\\@shop.example/"):
        rendered = render_email(source, {"website": website, "promo_code": "SAVE10"}, SHOP_ALLOWED.links_for(5),
                                CompiledCache())
        tokens = re.findall(r"https://automap\.example/t/c/([\w.-]+)", rendered.html + rendered.text)
        assert {SHOP_ALLOWED.read(CLICK, token) for token in tokens} == {
            (5, "https://shop.example/sale"), (5, "https://shop.example/?c=SAVE10")}
        assert 'href="https://shop.example/' not in rendered.html
        assert f'href="{website}"' in rendered.html  # not on shop.example, whatever it reads like: as it is


def test_a_link_to_this_servers_tracking_urls_is_not_wrapped_again() -> None:
    """A template that links a tracking URL itself (written out, or filled in on an allowed domain) keeps it."""
    tracking = Tracking("secret", "https://automap.example", ("automap.example",))
    own = tracking.url(CLICK, 4, "https://shop.example/sale")
    body = (f'<mjml><mj-body><mj-text><a href="{own}">written</a> <a href="{{{{ link }}}}">filled in</a>'
            '</mj-text></mj-body></mjml>')
    rendered = render_email(EmailSource(inline_key(body), "s", body), {"link": own}, tracking.links_for(5),
                            CompiledCache())
    assert rendered.html.count(f'href="{own}"') == 2
    tokens = re.findall(r"https://automap\.example/t/c/([\w.-]+)", rendered.html + rendered.text)
    assert {tracking.read(CLICK, token) for token in tokens} == {(4, "https://shop.example/sale")}


def test_links_are_personalised_then_tracked_and_values_escaped_in_html_only() -> None:
    body = ('<mjml><mj-body><mj-text><a href="https://shop.example/?u={{ contact.id }}&amp;x={{ q }}">Go</a>'
            ' {{ name }} <a href="#top">top</a></mj-text></mj-body></mjml>')
    source = EmailSource(inline_key(body), "Hi {{ name }}\r\nBcc: x@evil.example", body)
    rendered = render_email(source, {"name": "<i>Zoë</i>", "q": "a b\"", "contact": {"id": 3}},
                            SHOP_ALLOWED.links_for(11), CompiledCache())
    assert rendered.subject == "Hi <i>Zoë</i> Bcc: x@evil.example"  # one line: no header injection
    assert "&lt;i&gt;Zoë&lt;/i&gt;" in rendered.html and "<i>Zoë</i>" in rendered.text
    assert 'href="#top"' in rendered.html
    [token] = [part.split('"')[0] for part in rendered.html.split('href="https://automap.example/t/c/')[1:]]
    assert SHOP_ALLOWED.read(CLICK, token) == (11, 'https://shop.example/?u=3&x=a b"')


@given(st.text(alphabet=st.characters(codec="utf-8")) | st.text(alphabet=" \t\r\n\x0b\x0c\x1c\x85\xa0\u2028ab"))
@example("  Hi  there,   Zoë ")
@example("Hi\u00a0\u00a0Zoë \u2028 Bcc: x@evil.example")
def test_a_subject_or_preheader_is_one_line_with_single_spaces(text: str) -> None:
    """What the subject and preheader render to is cut to one line: every run of white space one space."""
    source = EmailSource(("inline", "one-line"), "{{ value }}", "<mjml><mj-body></mj-body></mjml>", "{{ value }}")
    rendered = render_email(source, {"value": text}, None, CompiledCache())
    assert rendered.subject == rendered.preheader == re.sub(r"\s+", " ", text).strip()


def test_mjml_is_compiled_once_per_key() -> None:
    cache = CompiledCache()
    body = "<mjml><mj-body><mj-text>{{ name }}</mj-text></mj-body></mjml>"
    for name in ("Ann", "Bo", "Cy"):
        assert name in render_email(EmailSource(inline_key(body), "s", body), {"name": name}, None, cache).html
    assert cache.misses == 1
    with pytest.raises(MjmlError, match="unknown MJML tag <mj-nope>"):
        compile_mjml("<mjml><mj-body><mj-nope/></mj-body></mjml>")
