"""Every page a chair works on, right at 1,280 px and on a 375 px phone (issue 24, item 6): no
page scrolls sideways (a wide table scrolls in its own box), and axe-core finds no critical
or serious violation, at both widths. The decision mails' "Release" button is clickable on
the phone (nothing lies over it).

The world is the demo (`seed_demo`) plus held decision mails and an import job's report
(tests/e2e/chair_world.py), built once: the module has one test, which visits every page at
both widths and reports every failure at once. It opens its own browser context and runs axe
itself at each width (the `page` fixture would revisit every page once more, at one width).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.chair_world import CHAIR_EMAIL, ChairWorld, build_chair_world
from tests.e2e.helpers import watch
from tests.e2e.phone import PhoneCheck
from workshop.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def chair_pages(world: ChairWorld) -> dict[str, str]:
    """The chair's pages, named, in the order of the workshop's life."""
    ws = world.in_review.pk
    return {
        "home": reverse("admin:index"),
        "settings": reverse("admin:workshop_workshop_change", args=[ws]),
        "papers": reverse("admin:submissions_submission_changelist") + f"?workshop__id__exact={ws}",
        "paper": reverse("admin:submissions_submission_change", args=[world.paper.pk]),
        "review-form": reverse("admin:reviews_reviewquestion_changelist")
        + f"?workshop__id__exact={ws}",
        "committee": reverse("admin:reviews_committee", args=[ws]),
        "bid-coverage": reverse("admin:reviews_bid_coverage", args=[ws]),
        "run-new": reverse("admin:reviews_matchingrun_add") + f"?workshop={ws}",
        "run": reverse("admin:reviews_matchingrun_change", args=[world.run.pk]),
        "progress": reverse("admin:reviews_progress", args=[ws]),
        "reminders": reverse("admin:reviews_reminders", args=[ws]),
        "desk": reverse("admin:reviews_decisionboard_changelist") + f"?workshop={ws}",
        "plots": reverse("admin:reviews_decisions_plots") + f"?workshop={ws}",
        "decision-mails": reverse("admin:reviews_decision_mails", args=[ws]),
        "mail-a-search": reverse("admin:reviews_mail_compose", args=[ws]),
        "outbox": reverse("admin:workshop_outgoingmail_changelist")
        + f"?workshop__id__exact={ws}&status__exact=held",
        "held-mail": reverse("admin:workshop_outgoingmail_change", args=[world.held_mail.pk]),
        "activity": reverse("admin:workshop_activity_changelist"),
        "import-jobs": reverse("admin:transfer_transferjob_changelist"),
        "import-job": reverse("admin:transfer_transferjob_change", args=[world.job.pk]),
        "proceedings": reverse("admin:submissions_proceedingsbundle_add"),
        "programme-editor": reverse("programme:edit", args=[world.decided.slug]),
    }


def test_every_chair_page_fits_a_phone_and_passes_axe(live_server, browser):
    world = build_chair_world()
    pages = chair_pages(world)
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    broken, errors = watch(page)
    checks = PhoneCheck("chair-pages", broken, errors)
    try:
        page.goto(f"{base}/accounts/login/?next=/admin/")
        main = page.get_by_role("main")
        main.get_by_label(re.compile("^E-?mail", re.I)).fill(CHAIR_EMAIL)
        main.get_by_label(re.compile("^Password", re.I)).fill(DEMO_PASSWORD)
        main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
        expect(page).to_have_url(f"{base}/admin/")

        checks.sweep(page, base, pages)

        # The release button of the decision mails, on the phone (the sweep ends at 375 px):
        # within the screen, and the topmost element where a finger lands (a trial click
        # checks that without sending anything).
        page.goto(f"{base}{pages['decision-mails']}")
        release = page.get_by_role("button", name=re.compile(r"^Release \d+ decision mail"))
        release.scroll_into_view_if_needed()
        release.click(trial=True, timeout=3_000)
        box = release.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    finally:
        context.close()
    problems = checks.report()
    assert not problems, problems
    assert not broken and not errors, (broken, errors)
