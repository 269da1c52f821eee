"""The chairs' home (/admin/, issue 24 item 1): figures per workshop in the order of the
lifecycle, each equal to what the page it links to shows; what needs the chairs now on top;
a constant number of queries at 2 and at 20 workshops; only the chair's own workshops."""

from __future__ import annotations

import re
from statistics import median

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from programme.templatetags.chair_tags import chair_home
from reviews.selectors.committee import committee_overview
from reviews.selectors.progress import late_reviewers
from reviews.services.committee import profile_missing
from tests.factories import UserFactory
from tests.workshop.chair_home_world import chair_home_workshop
from workshop.models import Role
from workshop.services import membership_grant

pytestmark = pytest.mark.django_db
HOME = "admin:index"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """22 workshops (rolled back at the end of the module): a chair of the first two, a
    chair of the other twenty; each workshop also has its own chair (`desk.chair`)."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        desks = [chair_home_workshop(f"home{i}") for i in range(22)]
        of_two = UserFactory(name="Chair of two", email="two@chairs.org")
        of_twenty = UserFactory(name="Chair of twenty", email="twenty@chairs.org")
        for i, desk in enumerate(desks):
            membership_grant(
                workshop=desk.workshop, user=of_two if i < 2 else of_twenty, role=Role.CHAIR
            )
        of_two.refresh_from_db()
        of_twenty.refresh_from_db()
        yield {"desks": desks, "of_two": of_two, "of_twenty": of_twenty}
        transaction.set_rollback(True)


def _queries(client, user) -> int:
    client.force_login(user)
    assert client.get(reverse(HOME)).status_code == 200  # warm-up (session, caches)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(HOME))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_home_runs_the_same_queries_for_2_and_for_20_workshops(
    client, world, django_assert_num_queries
):
    two = _queries(client, world["of_two"])
    twenty = _queries(client, world["of_twenty"])
    assert two == twenty
    # Pinned: the user and their permissions (Django's app list: three), the chaired ids,
    # the workshops, the programme's placements, ten figure queries (`console_figures`),
    # the admin's recent actions, and the tracks the user chairs (issue 27: a track chair
    # enters the chair tools too).
    client.force_login(world["of_twenty"])
    with django_assert_num_queries(two):
        client.get(reverse(HOME))
    assert two == 18


def test_the_figures_query_count_does_not_depend_on_the_workshops(world, django_assert_num_queries):
    from reviews.selectors.console import console_figures

    workshops = [d.workshop for d in world["desks"]]
    with django_assert_num_queries(10):
        console_figures(workshops[:2])
    with django_assert_num_queries(10):
        console_figures(workshops)


def _home(user) -> dict:
    return chair_home(user)


def _figures_and_links(user, workshop):
    row = next(r for r in _home(user)["rows"] if r["workshop"].pk == workshop.pk)
    return row["figures"], row["links"], row


def test_each_figure_equals_what_its_page_shows(client, world):
    desk = world["desks"][0]
    workshop = desk.workshop
    f, links, row = _figures_and_links(desk.chair, workshop)
    client.force_login(desk.chair)

    def board_count(name: str) -> int:
        response = client.get(links[name])
        assert response.status_code == 200, name
        assert not response.context["search_error"], name
        return response.context["page"].count

    def changelist_count(name: str) -> int:
        response = client.get(links[name])
        assert response.status_code == 200, name
        return response.context["cl"].result_count

    # The world's own figures, so that an equality of two zeros proves nothing.
    assert (f.submitted, f.drafts, f.withdrawn, f.flagged) == (8, 1, 1, 1)
    assert (f.invited, f.invitations_accepted, f.members, f.profiles_complete, f.bidders) == (
        2, 1, 8, 1, 2,
    )  # fmt: skip
    assert (f.under_review, f.short_of_reviewers) == (4, 1)
    assert (f.reviews_done, f.reviews_assigned, f.reviewers_owing) == (22, 23, 1)
    assert (f.decided, f.undecided, f.mails_held) == (4, 4, 3)
    assert (f.accepted, f.camera_ready, row["scheduled"]) == (2, 1, 1)
    assert f.disagreements > 0

    # Submissions: the decision board and the filtered submissions list.
    assert board_count("submitted") == f.submitted
    assert changelist_count("drafts") == f.drafts
    assert changelist_count("withdrawn") == f.withdrawn
    assert changelist_count("flagged") == f.flagged
    # Committee: the invitations list and the committee overview's rows.
    assert changelist_count("invited") == f.invited
    assert changelist_count("invitations_accepted") == f.invitations_accepted
    response = client.get(links["members"])
    rows = response.context["rows"]
    assert [r.user for r in rows] == [r.user for r in committee_overview(workshop)]
    assert len(rows) == f.members
    assert sum(1 for r in rows if r.bids) == f.bidders
    topics = workshop.topics.count()
    assert f.profiles_complete == sum(
        1 for r in rows if r.profile and not profile_missing(r.profile, topics, r.expertise_count)
    )
    loads = [r.load for r in rows if "Reviewer" in r.roles]
    spread = f.load_spread
    assert (spread.low, spread.middle, spread.high) == (min(loads), median(loads), max(loads))
    # Assignment: the board's search finds the papers short of reviewers.
    assert board_count("short_of_reviewers") == f.short_of_reviewers
    # Reviews: the progress page's totals and its late reviewers.
    progress = client.get(links["reviews_done"]).context["progress"]
    assert progress.total_submitted == f.reviews_done
    assert progress.total_assigned == f.reviews_assigned
    assert f.reviewers_owing == len(late_reviewers(workshop))
    assert f.reviewers_owing == sum(1 for r in progress.reviewers if r.late)
    assert board_count("disagreements") == f.disagreements
    assert board_count("disagreements_undecided") == f.disagreements_undecided
    # Decisions and mails held: the board's searches and the outbox.
    assert board_count("decided") == f.decided
    assert board_count("undecided") == f.undecided
    assert changelist_count("mails_held") == f.mails_held
    # Camera-ready and programme: the accepted papers and the programme editor.
    assert changelist_count("camera_ready") == f.accepted
    assert changelist_count("camera_ready_missing") == f.camera_ready_missing
    unplaced = client.get(links["scheduled"]).context["unplaced"]
    assert f.accepted - len(unplaced) == row["scheduled"]


def test_the_home_shows_each_figure_with_its_link_and_the_needs_in_lifecycle_order(client, world):
    desk = world["desks"][0]
    client.force_login(desk.chair)
    html = client.get(reverse(HOME)).content.decode()
    f, links, _ = _figures_and_links(desk.chair, desk.workshop)
    for name in ("submitted", "drafts", "withdrawn", "flagged", "invited", "members",
                 "profiles_complete", "bidders", "short_of_reviewers", "load_spread",
                 "reviews_done", "reviewers_owing", "disagreements", "decided", "undecided",
                 "mails_held", "camera_ready", "camera_ready_missing", "scheduled"):  # fmt: skip
        anchor = re.search(rf'<a [^>]*data-figure="{name}" href="([^"]+)"', html)
        assert anchor, name
        assert anchor.group(1).replace("&amp;", "&") == links[name], name
    assert "<strong>22</strong> of 23 reviews done" in html
    assert 'aria-label="Reviews done"' in html and "95% done" in html
    n = f.disagreements_undecided
    assert n > 0
    needs = re.findall(r'data-need="([a-z_]+)"[^>]*>([^<]+)</a>', html)
    assert needs == [
        ("flagged", "1 paper flagged by the file checks"),
        ("short_of_reviewers", "1 paper short of reviewers"),
        ("reviewers_owing", "1 reviewer late"),
        ("disagreements_undecided", f"{n} undecided paper{'s' * (n != 1)} whose scores disagree"),
        ("undecided", "4 decisions to make"),
        ("mails_held", "3 mails held for release"),
    ]


def test_before_the_review_deadline_nobody_is_late(client, world):
    import datetime as dt

    from django.utils import timezone

    desk = world["desks"][1]
    workshop = desk.workshop
    workshop.review_deadline = timezone.now() + dt.timedelta(days=3)
    workshop.save(update_fields=["review_deadline"])
    client.force_login(desk.chair)
    html = client.get(reverse(HOME)).content.decode()
    assert 'data-need="reviewers_owing"' not in html
    assert "<strong>1</strong> reviewer still to submit" in html
    assert 'data-need="short_of_reviewers"' in html


def test_the_accepted_papers_link_appears_once_decisions_are_released(client, world):
    desk = world["desks"][2]
    workshop = desk.workshop
    accepted = reverse("submissions:accepted", args=[workshop.slug])
    client.force_login(desk.chair)
    html = client.get(reverse(HOME)).content.decode()
    assert f'href="{accepted}"' not in html
    assert "public once decisions are released" in html
    workshop.decisions_released = True
    workshop.save(update_fields=["decisions_released"])
    html = client.get(reverse(HOME)).content.decode()
    assert f'<a href="{accepted}">Accepted papers page</a>' in html
    # Released decisions make the camera-ready and the programme due.
    assert 'data-need="camera_ready_missing"' in html and "1 camera-ready version missing" in html
    assert "1 accepted paper not in the programme" in html
    assert 'data-need="undecided"' not in html


def test_a_chair_sees_only_the_workshops_they_chair(client, world):
    desks = world["desks"]
    mine, other = desks[3].workshop, desks[4].workshop
    # A chair of one workshop who reviews for another, and staff who chair nothing.
    chair = desks[3].chair
    membership_grant(workshop=other, user=chair, role=Role.REVIEWER)
    client.force_login(chair)
    html = client.get(reverse(HOME)).content.decode()
    assert f'data-workshop="{mine.slug}"' in html
    assert f'data-workshop="{other.slug}"' not in html
    assert other.name not in html
    assert [r["workshop"] for r in chair_home(chair)["rows"]] == [mine]

    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    html = client.get(reverse(HOME)).content.decode()
    assert "data-workshop=" not in html and "What needs you now" not in html


def test_a_paper_nobody_was_ever_assigned_is_short_of_reviewers_on_the_board_too(client, world):
    """No stored figures at all (never assigned) counts as none assigned, in the figure and
    in the board's `assigned:<n` search alike."""
    from submissions.models import Submission

    desk = world["desks"][5]
    before, _, _ = _figures_and_links(desk.chair, desk.workshop)
    Submission.objects.create(
        workshop=desk.workshop, number=99, title="Nobody's yet", status="submitted",
        created_by=desk.papers[0].created_by,
    )  # fmt: skip
    after, links, _ = _figures_and_links(desk.chair, desk.workshop)
    assert after.short_of_reviewers == before.short_of_reviewers + 1
    client.force_login(desk.chair)
    assert client.get(links["short_of_reviewers"]).context["page"].count == after.short_of_reviewers
