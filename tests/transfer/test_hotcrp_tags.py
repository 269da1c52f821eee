"""HotCRP's tags come along with its papers (issue 28): the shared and chair-only tags of
the paper JSON HotCRP wrote (`tests/data/transfer/real/hotcrp/`), never someone's private
tag; a name this system cannot hold stays in the paper's source record for the chairs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from reviews.models import PaperTag, TagVisibility
from reviews.selectors.tags import tags_for
from reviews.services.reviewing import default_form_create
from tests.factories import WorkshopFactory, make_chair
from transfer.formats.hotcrp import hotcrp_tags
from transfer.importers import run_import
from workshop.models import Activity

pytestmark = pytest.mark.django_db
REAL = Path(__file__).resolve().parent.parent / "data" / "transfer" / "real" / "hotcrp"


def test_hotcrp_tag_words_are_read_as_hotcrp_means_them():
    imported, kept = hotcrp_tags(
        ["best-paper#0", "order#3", "~~Chairs-Pick#1.5", "~mine", "12~theirs#2", "a:b", "x#y"]
    )
    assert imported == [
        ("best-paper", None, TagVisibility.SHARED),
        ("order", Decimal(3), TagVisibility.SHARED),
        ("chairs-pick", Decimal("1.5"), TagVisibility.CHAIRS),
    ]
    assert kept == ["a:b", "x#y"]
    assert hotcrp_tags(None) == ([], [])


@pytest.mark.parametrize("name", ["api-papers.json", "web-jsonattach.zip"])
def test_the_real_exports_tags_are_imported(name):
    workshop = WorkshopFactory(slug="hotcrp-tags")
    chair = make_chair(workshop)
    default_form_create(workshop)
    fmt = "hotcrp-papers"
    report = run_import(workshop=workshop, actor=chair, fmt=fmt, data=(REAL / name).read_bytes())
    assert report.ok, report.errors[:3]
    tags = {
        (t.submission.number, t.name, t.value, t.visibility)
        for t in PaperTag.objects.filter(submission__workshop=workshop).select_related("submission")
    }
    assert tags == {(1, "best-paper", None, "shared"), (2, "poster-track", None, "shared")}
    assert Activity.objects.filter(workshop=workshop, action="tag.import").count() == 2
    paper = PaperTag.objects.get(name="best-paper").submission
    assert [str(t) for t in tags_for(chair, [paper])[paper.pk]] == ["#best-paper"]
    # Imported again (the same file): nothing doubles.
    run_import(workshop=workshop, actor=chair, fmt=fmt, data=(REAL / name).read_bytes())
    assert PaperTag.objects.filter(submission__workshop=workshop).count() == 2
