"""Regressions for what the review of the policy/action layer found in the submissions app."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from submissions.models import SubmissionStatus
from submissions.services import submission_restore
from submissions.services.lifecycle import submission_set_outcome
from tests.factories import UserFactory, make_chair
from workshop.admin_scoping import scope_choices
from workshop.errors import NotAllowed
from workshop.models import Activity, User

from .conftest import new_submission


def test_an_unverified_claim_on_an_authors_address_connects_nobody_to_the_workshop(
    workshop, author
):
    """Authors are people with a verified address in an author list, for the admin's user
    choices as for the author pages: claiming an address connects nobody."""
    new_submission(workshop, author)
    chair = make_chair(workshop)
    claimant = UserFactory(email="claimant@elsewhere.example", verified=False)
    EmailAddress.objects.create(user=claimant, email=author.email, verified=False)
    listed = new_submission(workshop, author, title="Listed")
    listed.authors.create(position=2, name="Carol", email="carol@uni-c.example.edu")
    unverified_login = UserFactory(email="carol@uni-c.example.edu", verified=False)
    offered = set(scope_choices(User.objects.all(), chair))
    assert author in offered
    assert claimant not in offered
    assert unverified_login not in offered


def test_restore_by_an_author_of_a_paper_not_withdrawn_changes_nothing(workshop, author):
    """Authors may restore their own withdrawal while the call is open (the withdraw
    ladder); on a paper that is not withdrawn that is a retried request: nothing happens."""
    submission = new_submission(workshop, author)
    submission_restore(submission=submission, user=author)
    submission.refresh_from_db()
    assert submission.is_draft
    assert not Activity.objects.filter(action="submission.restore").exists()


def test_an_author_setting_the_outcome_of_their_draft_is_refused_as_not_a_chair(workshop, author):
    submission = new_submission(workshop, author)
    with pytest.raises(NotAllowed):
        submission_set_outcome(submission=submission, outcome="accept", chair=author)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.DRAFT


def test_the_dashboard_lists_every_missing_item_of_a_draft(client, workshop, author):
    """The dashboard's to-do list is `missing_items`, not a shorter copy of it."""
    draft = new_submission(
        workshop, author, with_pdf=False, submission_type=None, llm_use="editing"
    )
    client.force_login(author)
    page = client.get(reverse("submissions:dashboard")).content.decode()
    row = page.split(f"#{draft.number} ", 1)[1].split("</tr>", 1)[0]
    for item in ("Choose the submission type", "Describe how LLMs were used",
                 "Upload the paper PDF", "Submit the paper for review"):  # fmt: skip
        assert f">{item}</a>" in row


def test_a_form_posted_after_the_deadline_is_refused_not_shown_again(
    client, workshop, author, frozen_now
):
    submission = new_submission(workshop, author)
    frozen_now(workshop.paper_deadline + (workshop.review_deadline - workshop.paper_deadline) / 2)
    client.force_login(author)
    for name in ("edit", "authors", "conflicts"):
        response = client.post(reverse(f"submissions:{name}", args=[submission.pk]), {})
        assert response.status_code == 403, name
        assert "The deadline for changes has passed" in response.content.decode()


def test_a_co_author_who_is_not_a_contact_is_not_told_the_deadline_passed(
    client, workshop, author, frozen_now
):
    submission = new_submission(workshop, author)
    co = UserFactory(email="bob@uni-b.example.edu")
    submission.authors.create(position=2, name="Bob", email=co.email, is_contact=False)
    frozen_now(workshop.paper_deadline + (workshop.review_deadline - workshop.paper_deadline) / 2)
    client.force_login(author)
    page = client.get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert "The deadline for changes has passed" in page
    client.force_login(co)
    page = client.get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert "The deadline for changes has passed" not in page
