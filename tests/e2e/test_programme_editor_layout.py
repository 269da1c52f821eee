"""The programme editor's cards in a real browser (issue 24): the Move button's word is never
broken ("Mo/ve") and a long session name is shown whole in the card's menu, on a desktop and
on a 375 px phone."""

from __future__ import annotations

import pytest

from programme.models import Session
from tests.e2e.helpers import sign_in
from tests.programme.world import build_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG = "Transparency and safety: orals II"  # longer than any of the demo's sessions

# Lines of the Move button's label, and how much of the selected session name is hidden.
MEASURE = """(card) => {
  const button = card.querySelector('.move-form button');
  const range = document.createRange();
  range.selectNodeContents(button.firstChild);
  const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  const select = card.querySelector('.move-form select');
  const style = getComputedStyle(select);
  const probe = document.createElement('span');
  probe.style.font = style.font;
  probe.style.whiteSpace = 'pre';
  probe.style.position = 'absolute';
  probe.textContent = select.options[select.selectedIndex].text;
  document.body.appendChild(probe);
  const needed = probe.getBoundingClientRect().width
    + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  probe.remove();
  return {lines, hidden: needed - select.clientWidth};
}"""


@pytest.mark.parametrize("width", [1280, 375])
def test_move_stays_one_word_and_session_names_are_whole(live_server, page, width):
    world = build_world()
    Session.objects.filter(pk=world.posters.pk).update(title=LONG)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, world.chair.email)
    page.goto(f"{live_server.url}/programme/{world.workshop.slug}/edit/")
    paper = world.accepted[0]
    page.locator(f"#move-{paper.pk}").select_option(label=LONG)
    found = page.locator(f"#paper-{paper.pk}").evaluate(MEASURE)
    assert found["lines"] == 1, found
    assert found["hidden"] <= 0, found
