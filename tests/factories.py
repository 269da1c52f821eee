"""factory_boy factories shared by every test module."""

from __future__ import annotations

import datetime as dt

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

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


def make_chair(workshop: Workshop, **user_kwargs) -> User:
    from workshop.services import membership_grant

    user = UserFactory(**user_kwargs)
    membership_grant(workshop=workshop, user=user, role=Role.CHAIR)
    user.refresh_from_db()
    return user
