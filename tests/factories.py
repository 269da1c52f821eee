"""factory_boy factories shared by every test module."""

from __future__ import annotations

import datetime as dt

import factory
from allauth.account.models import EmailAddress
from django.db.models import Max
from django.utils import timezone

from reviews.models import (
    Answer,
    Assignment,
    Bid,
    BidValue,
    ConflictOverride,
    Decision,
    DecisionCategory,
    Outcome,
    QuestionKind,
    Review,
    ReviewQuestion,
    ReviewStatus,
)
from submissions.models import Authorship, Submission, SubmissionStatus, SubmissionType
from workshop.models import Membership, Role, Topic, User, Workshop

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@uni{n}.example.edu")
    name = factory.Sequence(lambda n: f"Person {n}")
    affiliation = factory.Sequence(lambda n: f"University {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs) -> None:
        """A verified primary address in allauth (pass verified=False to skip)."""
        self.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def _at(days: float) -> dt.datetime:
    return timezone.now().replace(microsecond=0) + dt.timedelta(days=days)


class WorkshopFactory(factory.django.DjangoModelFactory):
    """A workshop whose call is open: paper deadline in 10 days, the rest after it."""

    class Meta:
        model = Workshop

    name = factory.Sequence(lambda n: f"Workshop {n}")
    short_name = factory.Sequence(lambda n: f"WS{n}")
    slug = factory.Sequence(lambda n: f"ws-{n}")
    contact_email = "chairs@example.org"
    call_for_papers = "We invite *papers*."
    submission_opens = factory.LazyFunction(lambda: _at(-10))
    paper_deadline = factory.LazyFunction(lambda: _at(10))
    bidding_deadline = factory.LazyFunction(lambda: _at(15))
    review_deadline = factory.LazyFunction(lambda: _at(30))
    notification_date = factory.LazyFunction(lambda: _at(45))
    camera_ready_deadline = factory.LazyFunction(lambda: _at(60))


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    workshop = factory.SubFactory(WorkshopFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")
    description = "About things."


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workshop = factory.SubFactory(WorkshopFactory)
    role = Role.REVIEWER


# --- Papers ------------------------------------------------------------------------------------
class SubmissionTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubmissionType
        django_get_or_create = ("workshop", "name")

    workshop = factory.SubFactory(WorkshopFactory)
    name = "Full paper"
    page_limit = 8


def _next_number(submission: Submission) -> int:
    """Numbers run per workshop (#1, #2, ...), as `submission_create` gives them."""
    top = Submission.objects.filter(workshop=submission.workshop).aggregate(n=Max("number"))["n"]
    return (top or 0) + 1


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A submitted paper whose creator is its first author and contact (pass contact=False
    for a paper with no author rows; add more with AuthorshipFactory). Written as rows, not
    through `submission_create`: no activity, mail or file; use the services where a test
    is about those."""

    class Meta:
        model = Submission
        skip_postgeneration_save = True

    workshop = factory.SubFactory(WorkshopFactory)
    number = factory.LazyAttribute(_next_number)
    title = factory.Sequence(lambda n: f"Paper {n}")
    abstract = "We study things."
    created_by = factory.SubFactory(UserFactory)
    status = SubmissionStatus.SUBMITTED
    submitted_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status != SubmissionStatus.DRAFT else None
    )

    @factory.post_generation
    def contact(self, create: bool, extracted: bool | None, **kwargs) -> None:
        if create and extracted is not False:
            user = self.created_by
            Authorship.objects.create(submission=self, position=1, name=user.name,
                                      email=user.email, affiliation=user.affiliation,
                                      is_contact=True)  # fmt: skip


def _next_position(authorship: Authorship) -> int:
    top = authorship.submission.authors.aggregate(n=Max("position"))["n"]
    return (top or 0) + 1


class AuthorshipFactory(factory.django.DjangoModelFactory):
    """A further author of a paper, after those it has."""

    class Meta:
        model = Authorship

    submission = factory.SubFactory(SubmissionFactory)
    position = factory.LazyAttribute(_next_position)
    name = factory.Sequence(lambda n: f"Author {n}")
    email = factory.Sequence(lambda n: f"author{n}@lab{n}.example.org")
    affiliation = factory.Sequence(lambda n: f"Lab {n}")
    is_contact = False


# --- Reviewing -----------------------------------------------------------------------------------
def _next_pseudonym(assignment: Assignment) -> str:
    """Reviewer A, B, ... in the order of assignment, as `pseudonyms_fill` names them."""
    if assignment.role != Role.REVIEWER:
        return ""
    taken = Assignment.objects.filter(submission=assignment.submission, role=Role.REVIEWER)
    return chr(ord("A") + taken.count())


class AssignmentFactory(factory.django.DjangoModelFactory):
    """A reviewer (a member of the paper's workshop in that role) assigned to a paper."""

    class Meta:
        model = Assignment
        skip_postgeneration_save = True

    submission = factory.SubFactory(SubmissionFactory)
    reviewer = factory.SubFactory(UserFactory)
    role = Role.REVIEWER
    pseudonym = factory.LazyAttribute(_next_pseudonym)

    @factory.post_generation
    def membership(self, create: bool, extracted: bool | None, **kwargs) -> None:
        """The reviewer's membership in the role (pass membership=False to skip)."""
        if create and extracted is not False:
            Membership.objects.get_or_create(
                workshop=self.submission.workshop, user=self.reviewer, role=self.role
            )


SCORE_CHOICES = [
    [5, "Strong accept"],
    [4, "Accept"],
    [3, "Borderline"],
    [2, "Reject"],
    [1, "Strong reject"],
]


class ReviewQuestionFactory(factory.django.DjangoModelFactory):
    """A required text question; `score=True` (a trait) makes it a 1-5 score."""

    class Meta:
        model = ReviewQuestion

    workshop = factory.SubFactory(WorkshopFactory)
    label = factory.Sequence(lambda n: f"Question {n}")
    kind = QuestionKind.TEXT
    order = factory.Sequence(lambda n: n)

    class Params:
        score = factory.Trait(
            kind=QuestionKind.SCORE,
            choices=SCORE_CHOICES,
        )


class ReviewFactory(factory.django.DjangoModelFactory):
    """A draft review; `submitted=True` (a trait) submits it. `answers={question: value}`
    writes its answers."""

    class Meta:
        model = Review
        skip_postgeneration_save = True

    assignment = factory.SubFactory(AssignmentFactory)
    status = ReviewStatus.DRAFT

    class Params:
        submitted = factory.Trait(
            status=ReviewStatus.SUBMITTED,
            version=1,
            submitted_at=factory.LazyFunction(timezone.now),
        )

    @factory.post_generation
    def answers(self, create: bool, extracted: dict | None, **kwargs) -> None:
        if create and extracted:
            Answer.objects.bulk_create(
                Answer(review=self, question=question, value=value)
                for question, value in extracted.items()
            )


class BidFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bid

    submission = factory.SubFactory(SubmissionFactory)
    user = factory.SubFactory(UserFactory)
    value = BidValue.WILLING


class ConflictOverrideFactory(factory.django.DjangoModelFactory):
    """A chair's conflict set on a pair (conflicted=False lifts one)."""

    class Meta:
        model = ConflictOverride
        skip_postgeneration_save = True

    submission = factory.SubFactory(SubmissionFactory)
    user = factory.SubFactory(UserFactory)
    conflicted = True
    reason = "Same lab"
    set_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def chair(self, create: bool, extracted: object, **kwargs) -> None:
        """`set_by` chairs the paper's workshop, as only a chair sets a conflict."""
        if create and self.set_by is not None:
            Membership.objects.get_or_create(
                workshop=self.submission.workshop, user=self.set_by, role=Role.CHAIR
            )


# --- Decisions -----------------------------------------------------------------------------------
class DecisionCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DecisionCategory
        django_get_or_create = ("workshop", "name")

    workshop = factory.SubFactory(WorkshopFactory)
    name = "Accept"
    outcome = Outcome.ACCEPT


class DecisionFactory(factory.django.DjangoModelFactory):
    """A decision in a category of the paper's own workshop."""

    class Meta:
        model = Decision
        skip_postgeneration_save = True

    submission = factory.SubFactory(SubmissionFactory)
    category = factory.SubFactory(
        DecisionCategoryFactory, workshop=factory.SelfAttribute("..submission.workshop")
    )
    decided_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def chair(self, create: bool, extracted: object, **kwargs) -> None:
        """`decided_by` chairs the paper's workshop, as only a chair decides."""
        if create and self.decided_by is not None:
            Membership.objects.get_or_create(
                workshop=self.submission.workshop, user=self.decided_by, role=Role.CHAIR
            )


def make_chair(workshop: Workshop, **user_kwargs) -> User:
    from workshop.services import membership_grant

    user = UserFactory(**user_kwargs)
    membership_grant(workshop=workshop, user=user, role=Role.CHAIR)
    user.refresh_from_db()
    return user


# --- Custom submission fields (issue 27) ---------------------------------------------------------
class SubmissionFieldFactory(factory.django.DjangoModelFactory):
    """A chairs' custom question: a short text asked of every paper, read by reviewers."""

    class Meta:
        model = "submissions.SubmissionField"

    workshop = factory.SubFactory(WorkshopFactory)
    code = factory.Sequence(lambda n: f"question-{n}")
    label = factory.Sequence(lambda n: f"Question {n}")
    kind = "text"
