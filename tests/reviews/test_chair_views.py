"""The chairs' committee overview and bid coverage views, in the admin."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.models import (
    Assignment,
    Bid,
    BidValue,
    ExpertiseLevel,
    Invitation,
    InvitationStatus,
    ReviewerProfile,
    TopicExpertise,
    new_token,
    token_hash,
)
from submissions.models import Submission, SubmissionStatus
from tests.factories import (
    AuthorshipFactory,
    MembershipFactory,
    SubmissionFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from workshop.demo import bidding_dates
from workshop.models import Role

pytestmark = pytest.mark.django_db

COMMITTEE = "admin:reviews_committee"
COVERAGE = "admin:reviews_bid_coverage"


@pytest.fixture
def workshop(db):
    w = WorkshopFactory(
        name="Workshop Alpha", short_name="ALPHA", slug="alpha",
        **bidding_dates(timezone.now().replace(microsecond=0)),
    )  # fmt: skip
    TopicFactory(workshop=w, name="Evaluation")
    TopicFactory(workshop=w, name="Data")
    return w


@pytest.fixture
def chair(workshop):
    return make_chair(workshop, email="chair@alpha-chairs.org", name="Carla Chair")


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@author-uni.edu", name="Owner Author")


def member(workshop, email, name, *roles, affiliation=""):
    user = UserFactory(email=email, name=name, affiliation=affiliation)
    for role in roles or (Role.REVIEWER,):
        MembershipFactory(workshop=workshop, user=user, role=role)
    return user


def paper(workshop, owner, title, status=SubmissionStatus.SUBMITTED) -> Submission:
    sub = SubmissionFactory(
        workshop=workshop, title=title, status=status, created_by=owner, contact=False
    )
    AuthorshipFactory(submission=sub, name="Alice Author", email="alice@author-uni.edu",
                      affiliation="")  # fmt: skip
    return sub


def invitation(workshop, email, status=InvitationStatus.PENDING, **fields) -> Invitation:
    return Invitation.objects.create(
        workshop=workshop,
        email=email,
        status=status,
        accept_hash=token_hash(new_token()),
        decline_hash=token_hash(new_token()),
        expires_at=fields.pop("expires_at", timezone.now() + dt.timedelta(days=21)),
        sent_count=1,
        **fields,
    )


def row_of(html: str, needle: str) -> str:
    rows = [r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if needle in r]
    assert len(rows) == 1, (needle, rows)
    return rows[0]


def cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]


# --------------------------------------------------------------------------- committee


def test_committee_overview_lists_members_with_roles_profile_bids_and_load(
    client, workshop, chair, owner
):
    papers = [paper(workshop, owner, f"Paper {i}") for i in range(1, 5)]
    rita = member(workshop, "rita@rev-lab.org", "Rita Reviewer", affiliation="Reviewer Lab")
    alan = member(workshop, "alan@ac-lab.org", "Alan Areachair", Role.AREA_CHAIR, Role.REVIEWER)
    member(workshop, "nora@none-lab.org", "Nora Noprofile")
    outsider = UserFactory(email="olga@other.org", name="Olga Outsider")
    MembershipFactory(workshop=WorkshopFactory(), user=outsider, role=Role.REVIEWER)

    profile = ReviewerProfile.objects.create(
        workshop=workshop, user=rita, expertise_text="x" * 120, requested_max_load=2
    )
    TopicExpertise.objects.bulk_create(
        TopicExpertise(profile=profile, topic=t, level=ExpertiseLevel.EXPERT)
        for t in workshop.topics.all()
    )
    ReviewerProfile.objects.create(
        workshop=workshop, user=alan, requested_max_load=3, load_request_approved=True
    )
    for sub, value in zip(papers, ["eager", "willing", "not_willing", "conflict"], strict=True):
        Bid.objects.create(submission=sub, user=rita, value=value)
    Bid.objects.create(submission=papers[0], user=alan, value=BidValue.NEUTRAL)
    Assignment.objects.create(submission=papers[0], reviewer=rita)
    Assignment.objects.create(submission=papers[1], reviewer=rita)
    Assignment.objects.create(submission=papers[1], reviewer=alan, role=Role.AREA_CHAIR)

    client.force_login(chair)
    response = client.get(reverse(COMMITTEE, args=[workshop.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Olga Outsider" not in html
    assert "Carla Chair" not in html  # chairs are not committee members here

    member_cell, affiliation, roles, profile_cell, load, bids, assigned = cells(
        row_of(html, "Rita Reviewer")
    )
    assert "rita@rev-lab.org" in member_cell
    assert " ".join(affiliation) == "Reviewer Lab"
    assert " ".join(roles) == "Reviewer"
    assert " ".join(profile_cell) == "2 topics, 120 chars of papers"
    assert " ".join(load) == "6 (asks 2)"  # not approved yet: the default applies
    assert " ".join(bids) == "4 of 12 (2 positive)"
    assert assigned == ["2"]

    _, _, roles, profile_cell, load, bids, assigned = cells(row_of(html, "Alan Areachair"))
    assert " ".join(roles) == "Area chair, Reviewer"
    assert " ".join(profile_cell) == "0 topics, 0 chars of papers"
    assert load == ["3"]  # approved request
    assert " ".join(bids) == "1 of 12 (0 positive)"
    assert assigned == ["1"]

    _, _, _, profile_cell, load, bids, assigned = cells(row_of(html, "Nora Noprofile"))
    assert profile_cell == ["none"]
    assert load == ["6"]
    assert " ".join(bids) == "0 of 12 (0 positive)"
    assert assigned == ["0"]


def test_committee_overview_lists_invitations_not_accepted_with_the_reason(client, workshop, chair):
    invitation(workshop, "pending@lab-p.org")
    invitation(workshop, "declined@lab-d.org", InvitationStatus.DECLINED,
               decline_reason="On sabbatical until May")  # fmt: skip
    invitation(workshop, "accepted@lab-a.org", InvitationStatus.ACCEPTED)
    invitation(workshop, "revoked@lab-r.org", InvitationStatus.REVOKED)
    invitation(workshop, "expired@lab-e.org", expires_at=timezone.now() - dt.timedelta(days=1))
    invitation(WorkshopFactory(), "elsewhere@lab-x.org")
    client.force_login(chair)
    html = client.get(reverse(COMMITTEE, args=[workshop.pk])).content.decode()

    assert cells(row_of(html, "pending@lab-p.org"))[2] == ["Pending"]
    declined = cells(row_of(html, "declined@lab-d.org"))
    assert declined[2] == ["Declined"]
    assert " ".join(declined[4]) == "On sabbatical until May"
    assert cells(row_of(html, "revoked@lab-r.org"))[2] == ["Revoked"]
    assert cells(row_of(html, "expired@lab-e.org"))[2] == ["Expired"]
    assert "accepted@lab-a.org" not in html
    assert "elsewhere@lab-x.org" not in html


def test_committee_overview_with_nobody_yet(client, workshop, chair):
    client.force_login(chair)
    html = client.get(reverse(COMMITTEE, args=[workshop.pk])).content.decode()
    assert "No members yet." in html and "None." in html


# --------------------------------------------------------------------------- coverage


def test_bid_coverage_lists_short_papers_first_and_highlighted(client, workshop, chair, owner):
    assert workshop.reviews_per_paper == 3
    reviewers = [member(workshop, f"r{i}@lab-{i}.org", f"Reviewer {i}") for i in range(1, 5)]
    covered = paper(workshop, owner, "Covered paper")  # 3 positive
    lonely = paper(workshop, owner, "Lonely paper")  # no bids at all
    half = paper(workshop, owner, "Half paper")  # 1 positive, 3 bids
    popular = paper(workshop, owner, "Popular paper")  # 4 positive
    paper(workshop, owner, "Withdrawn paper", SubmissionStatus.WITHDRAWN)
    paper(workshop, owner, "Draft paper", SubmissionStatus.DRAFT)
    for r, v in zip(reviewers, ["eager", "willing", "eager"], strict=False):
        Bid.objects.create(submission=covered, user=r, value=v)
    for r, v in zip(reviewers, ["willing", "not_willing", "neutral"], strict=False):
        Bid.objects.create(submission=half, user=r, value=v)
    for r in reviewers:
        Bid.objects.create(submission=popular, user=r, value=BidValue.EAGER)
    Bid.objects.create(submission=lonely, user=reviewers[0], value=BidValue.CONFLICT)

    client.force_login(chair)
    response = client.get(reverse(COVERAGE, args=[workshop.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Withdrawn paper" not in html and "Draft paper" not in html
    order = [html.index(p.title) for p in (lonely, half, covered, popular)]
    assert order == sorted(order)

    short, ok = 'class="short-row"', "<tr>"  # highlighted by admin-overrides.css
    lonely_row, half_row = row_of(html, "Lonely paper"), row_of(html, "Half paper")
    assert short in lonely_row and short in half_row
    assert cells(half_row)[1:] == [["1"], ["3"], ["3"]]
    assert cells(lonely_row)[1:] == [["0"], ["1"], ["3"]]
    for title in ("Covered paper", "Popular paper"):
        row = row_of(html, title)
        assert short not in row and row.startswith(ok)
    assert cells(row_of(html, "Popular paper"))[1:] == [["4"], ["4"], ["3"]]


def test_bid_coverage_follows_reviews_per_paper(client, workshop, chair, owner):
    type(workshop).objects.filter(pk=workshop.pk).update(reviews_per_paper=1)
    sub = paper(workshop, owner, "One bid paper")
    Bid.objects.create(
        submission=sub, user=member(workshop, "r@lab.org", "R"), value=BidValue.WILLING
    )
    client.force_login(chair)
    html = client.get(reverse(COVERAGE, args=[workshop.pk])).content.decode()
    assert "short-row" not in row_of(html, "One bid paper")


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("view", [COMMITTEE, COVERAGE])
def test_chair_of_another_workshop_gets_404(client, workshop, chair, owner, view):
    paper(workshop, owner, "Alpha secret paper")
    other = WorkshopFactory(short_name="BETA")
    stranger = make_chair(other, email="chair@beta-chairs.org")
    client.force_login(stranger)
    response = client.get(reverse(view, args=[workshop.pk]))
    assert response.status_code == 404
    assert "Alpha secret paper" not in response.content.decode()
    assert client.get(reverse(view, args=[other.pk])).status_code == 200
    assert client.get(reverse(view, args=[987654])).status_code == 404
    client.force_login(chair)
    assert client.get(reverse(view, args=[workshop.pk])).status_code == 200


@pytest.mark.parametrize("view", [COMMITTEE, COVERAGE])
def test_non_staff_are_redirected_to_the_admin_login(client, workshop, view):
    url = reverse(view, args=[workshop.pk])
    response = client.get(url)
    assert response.status_code == 302 and reverse("admin:login") in response.url
    reviewer = member(workshop, "rita@rev-lab.org", "Rita Reviewer")
    client.force_login(reviewer)
    response = client.get(url)
    assert response.status_code == 302 and reverse("admin:login") in response.url


def test_invitation_changelist_links_to_the_chairs_own_views(client, workshop, chair):
    other = WorkshopFactory()
    client.force_login(chair)
    html = client.get(reverse("admin:reviews_invitation_changelist")).content.decode()
    assert reverse(COMMITTEE, args=[workshop.pk]) in html
    assert reverse(COVERAGE, args=[workshop.pk]) in html
    assert reverse(COMMITTEE, args=[other.pk]) not in html
