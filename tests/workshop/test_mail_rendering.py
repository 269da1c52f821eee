"""Mails: Markdown and math as readable plain text and HTML; every link from SITE_URL."""

from __future__ import annotations

import pytest

from workshop.outbox import mail_render, mail_store
from workshop.richtext import mail_html, mail_text, math_to_text

pytestmark = pytest.mark.django_db

REVIEW = (
    "The gain $\\Delta = 3$ beats $$\\sum_i x_i \\leq \\alpha$$; it costs $5 or $10.\n\n**Bold**."
)


def test_math_becomes_unicode_in_text_and_html():
    text = mail_text(REVIEW)
    assert "Δ = 3" in text and "∑_i x_i ≤" in text and "α" in text
    assert "\\Delta" not in text and "$\\" not in text
    assert "$5 or $10" in text  # money is not math
    html = str(mail_html(REVIEW))
    assert "Δ = 3" in html and "<strong>Bold</strong>" in html
    assert "\\Delta" not in html and "$5 or $10" in html
    assert math_to_text("\\frac{a}{b")  # broken TeX never raises; something readable stays


def test_a_discussion_mail_renders_math_and_links_from_site_url(settings):
    from types import SimpleNamespace

    settings.SITE_URL = "http://127.0.0.1:8101"
    workshop = SimpleNamespace(slug="ws", name="WS")
    submission = SimpleNamespace(number=3, title="T & U")
    comment = SimpleNamespace(signature="Reviewer A", body=REVIEW)
    _subject, text, html = mail_render(
        "discussion_comment",
        {"workshop": workshop, "submission": submission, "comment": comment},
    )
    assert "Δ = 3" in text
    assert "http://127.0.0.1:8101/" in text
    assert "127.0.0.1:8000" not in text + html


def test_a_mail_stored_without_html_gets_an_html_part(settings):
    settings.SITE_URL = "http://example.org:8101"
    mail, _ = mail_store(key="k1", to="a@example.org", kind="decision", subject="S",
                         body_text="Hello & welcome\nhttp://example.org:8101/x")  # fmt: skip
    assert "<html" in mail.body_html and "Hello &amp; welcome" in mail.body_html
    assert 'href="http://example.org:8101/x"' in mail.body_html
