"""Every source of reviews/selectors/conflicts.py, one test each, and the assignment trigger.

Each test builds one paper and one reviewer whose only link is the source under test, and
asserts both the reason the chairs see and that `conflicted_submission_ids` (what the
chairs, the matching and assignment go by) contains the paper. Which of them also hide the
paper from the reviewer's own pages on a double-blind workshop is test_authorship_oracle.py.
Addresses use distinct institutional domains on purpose: the shared factory's addresses all
live under example.edu, which is itself a domain conflict.
"""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.db import IntegrityError, connection, transaction
from django.test import TestCase

from reviews.models import Assignment, Bid, BidValue, ConflictOverride
from reviews.selectors.conflicts import (
    conflicted_submission_ids,
    conflicts_for,
    organisation_domain,
)
from reviews.services.committee import conflict_override_set, declarations_replace
from submissions.models import Submission, SubmissionStatus, SubmissionType
from submissions.services import authors_replace, conflicts_declare
from submissions.services.authors import AuthorEntry
from tests.factories import (
    MembershipFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from tests.submissions.conftest import new_submission
from workshop.errors import NotAllowed, NotFound, ServiceError
from workshop.models import Activity, Role

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def workshop(db):
    w = WorkshopFactory(short_name="OSLLM", slug="osllm")
    TopicFactory(workshop=w, name="Evaluation")
    TopicFactory(workshop=w, name="Data")
    SubmissionType.objects.create(workshop=w, name="Full paper", page_limit=8)
    return w


def person(email: str, name: str, affiliation: str = ""):
    return UserFactory(email=email, name=name, affiliation=affiliation)


def member(workshop, email: str, name: str, affiliation: str = ""):
    user = person(email, name, affiliation)
    MembershipFactory(workshop=workshop, user=user, role=Role.REVIEWER)
    return user


@pytest.fixture
def reviewer(workshop):
    return member(workshop, "rita@rev-lab.org", "Rita Reviewer", "Reviewer Lab, Berlin")


@pytest.fixture
def author(db):
    return person("alice@author-uni.edu", "Alice Author", "Author University")


def paper(workshop, submitter, *coauthors: AuthorEntry, title: str = "A paper") -> Submission:
    """A submitted paper by `submitter` (first, contact) and `coauthors`, built through the
    author services while the call is open."""
    sub = new_submission(workshop, submitter, with_pdf=False, title=title)
    if coauthors:
        first = AuthorEntry(submitter.name, submitter.email, submitter.affiliation, True)
        with TestCase.captureOnCommitCallbacks(execute=True):
            authors_replace(submission=sub, user=submitter, entries=[first, *coauthors])
    Submission.objects.filter(pk=sub.pk).update(status=SubmissionStatus.SUBMITTED)
    sub.refresh_from_db()
    return sub


def reasons(workshop, sub: Submission, user) -> set[str]:
    found = conflicts_for(workshop, user_ids=[user.pk], include_drafts=True).reasons
    return set(found.get((sub.pk, user.pk), set()))


def assert_conflict(workshop, sub, user, expected: set[str]) -> None:
    assert reasons(workshop, sub, user) == expected
    assert sub.pk in conflicted_submission_ids(workshop, user)


def assert_no_conflict(workshop, sub, user) -> None:
    assert reasons(workshop, sub, user) == set()
    assert sub.pk not in conflicted_submission_ids(workshop, user)


# --------------------------------------------------------------------------- baseline


def test_unrelated_reviewer_has_no_conflict(workshop, reviewer, author):
    sub = paper(workshop, author)
    assert_no_conflict(workshop, sub, reviewer)
    assert conflicts_for(workshop).pairs() == set()


# --------------------------------------------------------------------------- authorship


def test_authorship_by_primary_email(workshop, reviewer, author):
    sub = paper(workshop, author, AuthorEntry("Rita Reviewer", "rita@rev-lab.org"))
    # The reviewer's own author row naturally shares the reviewer's domain too.
    assert_conflict(workshop, sub, reviewer, {"authorship", "domain"})


def test_authorship_by_primary_email_case_insensitive(workshop, reviewer, author):
    sub = paper(workshop, author, AuthorEntry("Rita Reviewer", "Rita@Rev-Lab.ORG"))
    assert_conflict(workshop, sub, reviewer, {"authorship", "domain"})


def test_authorship_by_secondary_verified_address_only(workshop, reviewer, author):
    """The co-author was added under an address that is only a secondary verified address
    of the reviewer's account (a gmail address, so no domain conflict muddies the case)."""
    EmailAddress.objects.create(
        user=reviewer, email="rita.private@gmail.com", verified=True, primary=False
    )
    sub = paper(workshop, author, AuthorEntry("R. Reviewer", "rita.private@gmail.com"))
    assert_conflict(workshop, sub, reviewer, {"authorship"})


def test_submitter_is_in_conflict_with_own_draft(workshop, reviewer):
    draft = new_submission(workshop, reviewer, with_pdf=False)
    assert draft.status == SubmissionStatus.DRAFT
    assert draft.pk in conflicted_submission_ids(workshop, reviewer)
    # The committee-wide map skips drafts unless asked.
    assert (draft.pk, reviewer.pk) not in conflicts_for(workshop).pairs()
    assert (draft.pk, reviewer.pk) in conflicts_for(workshop, include_drafts=True).pairs()


# --------------------------------------------------------------------------- domain


def test_same_institutional_domain_subdomain(workshop):
    reviewer = member(workshop, "rita@uni-x.edu", "Rita Reviewer")
    author = person("alice@cs.uni-x.edu", "Alice Author")
    sub = paper(workshop, author)
    assert_conflict(workshop, sub, reviewer, {"domain"})


def test_same_institutional_domain_ac_uk(workshop):
    reviewer = member(workshop, "rita@eng.ox.ac.uk", "Rita Reviewer")
    other_uk = member(workshop, "bob@cam.ac.uk", "Bob Reviewer")
    author = person("alice@cs.ox.ac.uk", "Alice Author")
    sub = paper(workshop, author)
    assert_conflict(workshop, sub, reviewer, {"domain"})
    assert_no_conflict(workshop, sub, other_uk)


def test_domain_of_a_secondary_address_counts(workshop, reviewer):
    EmailAddress.objects.create(user=reviewer, email="rita@uni-y.edu", verified=True)
    author = person("alice@nlp.uni-y.edu", "Alice Author")
    sub = paper(workshop, author)
    assert_conflict(workshop, sub, reviewer, {"domain"})


def test_public_webmail_domain_is_no_conflict(workshop):
    reviewer = member(workshop, "rita.reviewer@gmail.com", "Rita Reviewer")
    author = person("alice.author@gmail.com", "Alice Author")
    sub = paper(workshop, author)
    assert_no_conflict(workshop, sub, reviewer)


# --------------------------------------------------------------------------- co-authorship


def test_coauthor_on_another_submission_of_the_workshop(workshop, reviewer, author):
    # The reviewer wrote paper 1 with Alice; Alice alone wrote paper 2.
    joint = paper(workshop, author, AuthorEntry("Rita Reviewer", reviewer.email), title="Joint")
    alone = paper(workshop, author, title="Alone")
    assert_conflict(workshop, joint, reviewer, {"authorship", "domain"})
    assert_conflict(workshop, alone, reviewer, {"coauthor"})


def test_coauthorship_in_another_workshop_does_not_count(workshop, reviewer, author):
    elsewhere = WorkshopFactory()
    TopicFactory(workshop=elsewhere, name="Evaluation")
    SubmissionType.objects.create(workshop=elsewhere, name="Full paper", page_limit=8)
    paper(elsewhere, author, AuthorEntry("Rita Reviewer", reviewer.email))
    alone = paper(workshop, author)
    assert_no_conflict(workshop, alone, reviewer)


# --------------------------------------------------------------------------- bids


def test_bid_in_conflict(workshop, reviewer, author):
    sub = paper(workshop, author)
    Bid.objects.create(submission=sub, user=reviewer, value=BidValue.CONFLICT)
    assert_conflict(workshop, sub, reviewer, {"bid"})


def test_other_bids_are_no_conflict(workshop, reviewer, author):
    sub = paper(workshop, author)
    Bid.objects.create(submission=sub, user=reviewer, value=BidValue.NOT_WILLING)
    assert_no_conflict(workshop, sub, reviewer)


# --------------------------------------------------------------------------- reviewer-declared


def test_reviewer_declared_person_by_email(workshop, reviewer, author):
    sub = paper(workshop, author)
    declarations_replace(
        workshop=workshop, user=reviewer, people=[" Alice@Author-Uni.EDU "], institutions=[]
    )
    assert_conflict(workshop, sub, reviewer, {"declared"})


def test_reviewer_declared_person_by_name(workshop, reviewer, author):
    sub = paper(workshop, author)
    declarations_replace(
        workshop=workshop, user=reviewer, people=["ALICE  author"], institutions=[]
    )
    assert_conflict(workshop, sub, reviewer, {"declared"})


def test_reviewer_declared_person_unrelated_name_is_no_conflict(workshop, reviewer, author):
    sub = paper(workshop, author)
    declarations_replace(workshop=workshop, user=reviewer, people=["Alice Other"], institutions=[])
    assert_no_conflict(workshop, sub, reviewer)


def test_reviewer_declared_institution_matches_author_affiliation(workshop, reviewer):
    author = person("alice@author-uni.edu", "Alice Author", "Dept. of CS, Author University")
    sub = paper(workshop, author)
    declarations_replace(
        workshop=workshop, user=reviewer, people=[], institutions=["author university"]
    )
    assert_conflict(workshop, sub, reviewer, {"declared"})


# --------------------------------------------------------------------------- author-declared


def test_author_declared_committee_member(workshop, reviewer, author):
    sub = paper(workshop, author)
    conflicts_declare(submission=sub, user=author, members=[reviewer], institutions=[])
    assert_conflict(workshop, sub, reviewer, {"author-declared"})


def test_author_declared_institution_matches_reviewer_affiliation(workshop, reviewer, author):
    bystander = member(workshop, "bob@other-lab.org", "Bob Bystander", "Other Lab")
    sub = paper(workshop, author)
    conflicts_declare(submission=sub, user=author, members=[], institutions=["reviewer lab"])
    assert_conflict(workshop, sub, reviewer, {"author-declared"})
    assert_no_conflict(workshop, sub, bystander)


# --------------------------------------------------------------------------- chairs


def test_chair_sets_a_conflict_with_an_audit_entry(workshop, reviewer, author):
    chair = make_chair(workshop, email="chair@chairs.org", name="Carla Chair")
    sub = paper(workshop, author)
    assert_no_conflict(workshop, sub, reviewer)
    conflict_override_set(
        submission=sub, user=reviewer, conflicted=True, reason="Former advisor", chair=chair
    )
    assert_conflict(workshop, sub, reviewer, {"chair"})
    entry = Activity.objects.get(workshop=workshop, action="conflict.set")
    assert entry.actor == chair
    assert entry.reason == "Former advisor"
    assert entry.submission_id == sub.pk
    assert f"#{sub.number}" in entry.summary


def test_chair_lifts_a_domain_conflict(workshop, author):
    chair = make_chair(workshop, email="chair@chairs.org", name="Carla Chair")
    reviewer = member(workshop, "rita@author-uni.edu", "Rita Reviewer")
    sub = paper(workshop, author)
    assert_conflict(workshop, sub, reviewer, {"domain"})
    conflict_override_set(
        submission=sub, user=reviewer, conflicted=False, reason="Different campus", chair=chair
    )
    assert sub.pk not in conflicted_submission_ids(workshop, reviewer)
    assert (sub.pk, reviewer.pk) not in conflicts_for(workshop).pairs()
    assert Activity.objects.filter(workshop=workshop, action="conflict.lift").count() == 1


def test_chair_cannot_lift_an_authorship_conflict(workshop, reviewer, author):
    chair = make_chair(workshop, email="chair@chairs.org", name="Carla Chair")
    sub = paper(workshop, author, AuthorEntry("Rita Reviewer", reviewer.email))
    conflict_override_set(
        submission=sub, user=reviewer, conflicted=False, reason="Trust me", chair=chair
    )
    assert ConflictOverride.objects.get(submission=sub, user=reviewer).conflicted is False
    assert sub.pk in conflicted_submission_ids(workshop, reviewer)
    assert (sub.pk, reviewer.pk) in conflicts_for(workshop).pairs()


def test_only_a_chair_of_the_workshop_sets_conflicts_and_with_a_reason(workshop, reviewer, author):
    sub = paper(workshop, author)
    other_chair = make_chair(WorkshopFactory(), email="chair@elsewhere.org", name="Other Chair")
    with pytest.raises(NotFound):  # a chair of another workshop may not know the paper
        conflict_override_set(
            submission=sub, user=reviewer, conflicted=True, reason="x", chair=other_chair
        )
    with pytest.raises(NotAllowed):
        conflict_override_set(
            submission=sub, user=reviewer, conflicted=True, reason="x", chair=reviewer
        )
    chair = make_chair(workshop, email="chair@chairs.org", name="Carla Chair")
    with pytest.raises(ServiceError):
        conflict_override_set(
            submission=sub, user=reviewer, conflicted=True, reason=" ", chair=chair
        )
    assert not ConflictOverride.objects.exists()
    assert not Activity.objects.filter(action__startswith="conflict.").exists()


# --------------------------------------------------------------------------- the trigger


def _assign(sub, user) -> Assignment:
    with transaction.atomic():
        return Assignment.objects.create(submission=sub, reviewer=user)


def test_trigger_refuses_assigning_an_author(workshop, author):
    sub = paper(workshop, author)
    with pytest.raises(IntegrityError):
        _assign(sub, author)
    assert not Assignment.objects.exists()


def test_trigger_refuses_an_author_matched_by_a_secondary_address(workshop, reviewer, author):
    EmailAddress.objects.create(
        user=reviewer, email="rita.private@gmail.com", verified=True, primary=False
    )
    sub = paper(workshop, author, AuthorEntry("R. Reviewer", "rita.private@gmail.com"))
    with pytest.raises(IntegrityError):
        _assign(sub, reviewer)
    assert not Assignment.objects.exists()


def test_trigger_refuses_switching_an_assignment_to_an_author(workshop, reviewer, author):
    sub = paper(workshop, author)
    assignment = _assign(sub, reviewer)
    assignment.reviewer = author
    with pytest.raises(IntegrityError), transaction.atomic():
        assignment.save()
    assert Assignment.objects.get().reviewer_id == reviewer.pk


def test_trigger_allows_assigning_a_non_author(workshop, reviewer, author):
    sub = paper(workshop, author)
    _assign(sub, reviewer)
    assert Assignment.objects.filter(submission=sub, reviewer=reviewer).exists()


# --------------------------------------------------------------------------- organisation_domain


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("alice@uni-x.edu", "uni-x.edu"),
        ("alice@cs.uni-x.edu", "uni-x.edu"),
        ("alice@CS.Uni-X.EDU", "uni-x.edu"),
        ("alice@ox.ac.uk", "ox.ac.uk"),
        ("alice@cs.ox.ac.uk", "ox.ac.uk"),
        ("alice@robots.eng.ox.ac.uk", "ox.ac.uk"),
        ("alice@inf.ethz.ch", "ethz.ch"),
        ("alice@is.s.u-tokyo.ac.jp", "u-tokyo.ac.jp"),
        ("alice@cs.unsw.edu.au", "unsw.edu.au"),
        ("alice@research.example.co.uk", "example.co.uk"),
        ("alice@gmail.com", None),
        ("alice@GMail.com", None),
        ("alice@googlemail.com", None),
        ("alice@hotmail.co.uk", None),
        ("alice@yahoo.co.jp", None),
        ("alice@proton.me", None),
    ],
)
def test_organisation_domain(email, expected):
    assert organisation_domain(email) == expected


def test_organisation_domain_distinguishes_universities():
    assert organisation_domain("a@cs.ox.ac.uk") != organisation_domain("b@cam.ac.uk")
    assert organisation_domain("a@uni-x.edu") != organisation_domain("b@uni-y.edu")


@pytest.mark.django_db
def test_the_not_author_trigger_exists_after_migrating():
    """Rebuilding reviews_assignment (SQLite does that for many ALTERs) drops its triggers;
    a migration that rebuilds it must re-create them (reviews/migrations_support.py)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {row[0] for row in cursor.fetchall()}
    assert any(name.startswith("reviews_assignment_not_author") for name in names), names
