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
import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.chair_world import CHAIR_EMAIL, ChairWorld, build_chair_world
from tests.e2e.conftest import ARTIFACTS, AXE_FAIL_IMPACTS, _axe_summary_add
from tests.e2e.helpers import watch
from workshop.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 375)


def chair_pages(world: ChairWorld) -> dict[str, str]:
    """The chair's pages, named, in the order of the workshop's life."""
    ws = world.in_review.pk
    return {
        "home": reverse("admin:index"),
        "settings": reverse("admin:workshop_workshop_change", args=[ws]),
        "papers": reverse("admin:submissions_submission_changelist") + f"?workshop__id__exact={ws}",
        "paper": reverse("admin:submissions_submission_change", args=[world.paper.pk]),
        "committee": reverse("admin:reviews_committee", args=[ws]),
        "bid-coverage": reverse("admin:reviews_bid_coverage", args=[ws]),
        "run-new": reverse("admin:reviews_matchingrun_add") + f"?workshop={ws}",
        "run": reverse("admin:reviews_matchingrun_change", args=[world.run.pk]),
        "progress": reverse("admin:reviews_progress", args=[ws]),
        "reminders": reverse("admin:reviews_reminders", args=[ws]),
        "desk": reverse("admin:reviews_decisionboard_changelist") + f"?workshop={ws}",
        "plots": reverse("admin:reviews_decisions_plots") + f"?workshop={ws}",
        "decision-mails": reverse("admin:reviews_decision_mails", args=[ws]),
        "outbox": reverse("admin:workshop_outgoingmail_changelist")
        + f"?workshop__id__exact={ws}&status__exact=held",
        "held-mail": reverse("admin:workshop_outgoingmail_change", args=[world.held_mail.pk]),
        "activity": reverse("admin:workshop_activity_changelist"),
        "import-jobs": reverse("admin:transfer_transferjob_changelist"),
        "import-job": reverse("admin:transfer_transferjob_change", args=[world.job.pk]),
        "programme-editor": reverse("programme:edit", args=[world.decided.slug]),
    }


def axe_problems(page, axe) -> tuple[list[str], list[dict]]:
    """The critical and serious violations on the page as shown now (readable), and every
    violation found (for the summary)."""
    problems, found = [], []
    for v in axe.run(page).response.get("violations", []):
        impact = v.get("impact") or "minor"
        targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])]
        found.append({"url": page.url, "id": v["id"], "impact": impact, "nodes": len(targets),
                      "test": "test_every_chair_page_fits_a_phone_and_passes_axe"})  # fmt: skip
        if impact in AXE_FAIL_IMPACTS:
            problems.append(f"axe {impact} {v['id']} ({len(targets)}x: {', '.join(targets[:3])})")
    return problems, found


def overflow(page) -> str | None:
    """None if the page is no wider than the window; else its width and the widest element
    that sticks out (not inside a box that scrolls), to say what to fix."""
    return page.evaluate(
        """() => {
          const W = window.innerWidth, total = document.documentElement.scrollWidth;
          if (total <= W) return null;
          let worst = null, right = W;
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right <= right) continue;
            let p = el.parentElement, inBox = false;
            for (; p; p = p.parentElement)
              if (getComputedStyle(p).overflowX !== 'visible') { inBox = true; break; }
            if (!inBox) { worst = el; right = r.right; }
          }
          const name = worst ? worst.tagName.toLowerCase() + (worst.id ? '#' + worst.id : '')
            + (worst.className && typeof worst.className === 'string'
               ? '.' + worst.className.trim().split(/\\s+/).join('.') : '') : '?';
          return `${total} px wide in a ${W} px window (widest: ${name}, ${Math.round(right)} px)`;
        }"""
    )


def test_every_chair_page_fits_a_phone_and_passes_axe(live_server, browser):
    from axe_playwright_python.sync_playwright import Axe

    world = build_chair_world()
    pages = chair_pages(world)
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    broken, _errors = watch(page)
    ARTIFACTS.mkdir(exist_ok=True)
    started = time.monotonic()
    try:
        page.goto(f"{base}/accounts/login/?next=/admin/")
        main = page.get_by_role("main")
        main.get_by_label(re.compile("^E-?mail", re.I)).fill(CHAIR_EMAIL)
        main.get_by_label(re.compile("^Password", re.I)).fill(DEMO_PASSWORD)
        main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
        expect(page).to_have_url(f"{base}/admin/")

        axe = Axe()
        failures: list[str] = []
        checked: list[str] = []
        found: list[dict] = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in pages.items():
                response = page.goto(f"{base}{path}")
                where = f"{name} at {width} px ({path})"
                if response is None or response.status != 200:
                    failures.append(f"{where}: answered {response and response.status}")
                    continue
                before = len(failures)
                if width < 1280 and (wide := overflow(page)):
                    failures.append(f"{where}: scrolls sideways, {wide}")
                problems, violations = axe_problems(page, axe)
                failures += [f"{where}: {problem}" for problem in problems]
                if len(failures) > before:
                    page.screenshot(path=ARTIFACTS / f"FAILED-chair-{name}-{width}.png")
                found += violations
                checked.append(page.url)
                print(f"{time.monotonic() - started:6.1f} s {where}")

        # The release button of the decision mails, on the phone: visible, enabled, and the
        # topmost element where a finger lands (trial: checks without sending anything).
        page.goto(f"{base}{pages['decision-mails']}")
        release = page.get_by_role("button", name=re.compile(r"^Release \d+ decision mail"))
        release.scroll_into_view_if_needed()
        release.click(trial=True, timeout=3_000)
        box = release.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        _axe_summary_add("test_every_chair_page_fits_a_phone_and_passes_axe", checked, found)
    finally:
        context.close()

    assert not failures, f"{len(failures)} problem(s):\n  " + "\n  ".join(failures)
    assert not broken, broken
