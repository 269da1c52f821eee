"""Inviting the programme committee: the chairs' invite view, the mail and its two links.

Every link is single-purpose (accept or decline), works once, expires, and stops working
when the invitation is re-sent (new links) or revoked. A chair of workshop B never sees or
touches workshop A's invitations.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from reviews.models import Invitation, InvitationStatus, ReviewerProfile
from reviews.services.invitations import (
    InvitationLinkError,
    invitation_accept,
    invitation_create,
    invitation_decline,
    parse_invitation_rows,
)
from tests.factories import MembershipFactory, UserFactory, WorkshopFactory, make_chair
from tests.reviews.conftest import mails_about
from workshop.models import Membership, OutgoingMail, Role

pytestmark = pytest.mark.django_db

INVITE_URL = "admin:reviews_invitation_invite"
CHANGELIST_URL = "admin:reviews_invitation_changelist"
LINK = re.compile(r"https?://[^\s/]+(/invitations/([A-Za-z0-9_-]+)/)")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def workshop(db):
    return WorkshopFactory(name="Workshop Alpha", short_name="ALPHA", slug="alpha")


@pytest.fixture
def chair(workshop):
    return make_chair(workshop, email="chair@alpha-chairs.org", name="Carla Chair")


@pytest.fixture
def other_workshop(db):
    return WorkshopFactory(name="Workshop Beta", short_name="BETA", slug="beta")


@pytest.fixture
def other_chair(other_workshop):
    return make_chair(other_workshop, email="chair@beta-chairs.org", name="Bert Chair")


def links(invitation: Invitation) -> tuple[str, str]:
    """(accept path, decline path) from the newest invitation mail of `invitation`."""
    sent = (
        OutgoingMail.objects.filter(
            kind="committee_invitation",
            target_type=ContentType.objects.get_for_model(Invitation),
            target_id=invitation.pk,
        )
        .order_by("-pk")
        .first()
    )
    accept_part = sent.body_text.split("Accept", 1)[1].split("Decline", 1)[0]
    decline_part = sent.body_text.split("Decline", 1)[1]
    return LINK.search(accept_part).group(1), LINK.search(decline_part).group(1)


def token(path: str) -> str:
    return path.strip("/").split("/")[-1]


def invite(workshop, chair, email="ada@lab-a.org", name="Ada Lovelace", role=Role.REVIEWER):
    with TestCase.captureOnCommitCallbacks(execute=True):
        invitation = invitation_create(
            workshop=workshop, email=email, name=name, role=role, invited_by=chair
        )
    invitation.refresh_from_db()
    return invitation


def admin_action(client, action: str, *invitations: Invitation):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse(CHANGELIST_URL),
            {"action": action, "_selected_action": [i.pk for i in invitations]},
            follow=True,
        )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --------------------------------------------------------------------------- invite view


def test_chair_invites_one_person_and_the_mail_has_two_links(client, workshop, chair):
    client.force_login(chair)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse(INVITE_URL),
            {"workshop": workshop.pk, "role": Role.REVIEWER, "people": "Ada.Lovelace@Lab-A.org"},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == reverse(CHANGELIST_URL)
    assert "1 invitation sent." in messages_of(response)
    invitation = Invitation.objects.get()
    assert (invitation.workshop, invitation.email, invitation.role, invitation.status) == (
        workshop,
        "ada.lovelace@lab-a.org",
        Role.REVIEWER,
        InvitationStatus.PENDING,
    )
    assert invitation.invited_by == chair
    assert invitation.sent_count == 1
    assert invitation.expires_at > timezone.now() + dt.timedelta(days=20)
    stored = OutgoingMail.objects.get(kind="committee_invitation")
    assert stored.to == "ada.lovelace@lab-a.org"
    assert [m.to for m in mail.outbox] == [["ada.lovelace@lab-a.org"]]
    assert "ALPHA" in mail.outbox[0].subject
    accept, decline = links(invitation)
    assert accept != decline
    # Only hashes are stored: the tokens themselves are nowhere in the database row.
    assert token(accept) not in (invitation.accept_hash, invitation.decline_hash)
    assert client.get(accept).context["purpose"] == "accept"
    assert client.get(decline).context["purpose"] == "decline"


def test_bulk_invite_from_pasted_rows(client, workshop, chair):
    client.force_login(chair)
    people = (
        "Ada Lovelace, ada@lab-a.org, area chair\n"
        "Alan Turing <alan@lab-b.org>\n"
        '"Hopper, Grace" <grace@lab-c.org>\n'
        "\n"
        "edsger@lab-d.org\n"
        "Barbara Liskov, barbara@lab-e.org\n"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse(INVITE_URL),
            {"workshop": workshop.pk, "role": Role.REVIEWER, "people": people},
            follow=True,
        )
    assert "5 invitations sent." in messages_of(response)
    got = {(i.email, i.name, i.role) for i in Invitation.objects.all()}
    assert got == {
        ("ada@lab-a.org", "Ada Lovelace", Role.AREA_CHAIR),
        ("alan@lab-b.org", "Alan Turing", Role.REVIEWER),
        ("grace@lab-c.org", "Hopper, Grace", Role.REVIEWER),
        ("edsger@lab-d.org", "", Role.REVIEWER),
        ("barbara@lab-e.org", "Barbara Liskov", Role.REVIEWER),
    }
    assert OutgoingMail.objects.filter(kind="committee_invitation").count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e for e, _, _ in got)


def test_bulk_invite_default_role_applies_to_rows_without_one(client, workshop, chair):
    client.force_login(chair)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse(INVITE_URL),
            {
                "workshop": workshop.pk,
                "role": Role.AREA_CHAIR,
                "people": "ada@lab-a.org\nAlan Turing, alan@lab-b.org, reviewer",
            },
        )
    roles = dict(Invitation.objects.values_list("email", "role"))
    assert roles == {"ada@lab-a.org": Role.AREA_CHAIR, "alan@lab-b.org": Role.REVIEWER}


def test_bulk_invite_from_csv_file_with_header_row(client, workshop, chair):
    client.force_login(chair)
    csv_file = SimpleUploadedFile(
        "pc.csv",
        "\ufeffName,Email,Role\nAda Lovelace,ada@lab-a.org,reviewer\n"
        '"Turing, Alan",alan@lab-b.org,AC\n'.encode(),
        "text/csv",
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse(INVITE_URL),
            {"workshop": workshop.pk, "role": Role.REVIEWER, "people": "", "csv_file": csv_file},
            follow=True,
        )
    assert "2 invitations sent." in messages_of(response)
    got = {(i.email, i.name, i.role) for i in Invitation.objects.all()}
    assert got == {
        ("ada@lab-a.org", "Ada Lovelace", Role.REVIEWER),
        ("alan@lab-b.org", "Turing, Alan", Role.AREA_CHAIR),
    }


def test_bulk_invite_from_pasted_text_and_csv_file_together(client, workshop, chair):
    client.force_login(chair)
    csv_file = SimpleUploadedFile(
        "pc.csv", b"name,email,role\nAlan Turing,alan@lab-b.org,reviewer\n", "text/csv"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse(INVITE_URL),
            {
                "workshop": workshop.pk,
                "role": Role.REVIEWER,
                "people": "ada@lab-a.org",
                "csv_file": csv_file,
            },
        )
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "ada@lab-a.org",
        "alan@lab-b.org",
    }


def test_bad_lines_are_reported_each_by_itself_and_the_good_ones_are_invited(
    client, workshop, chair
):
    client.force_login(chair)
    people = (
        "Ada Lovelace, ada@lab-a.org\n"
        "Bad Person, not-an-address\n"
        "Alan Turing <alan@lab-b.org>\n"
        "Grace Hopper, grace@lab-c.org, janitor\n"
        "also wrong@\n"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse(INVITE_URL), {"workshop": workshop.pk, "role": Role.REVIEWER, "people": people}
        )
    # The two good lines are invited and mailed (HotCRP's way: one bad address blocks nobody).
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "ada@lab-a.org",
        "alan@lab-b.org",
    }
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@lab-a.org", "alan@lab-b.org"]
    assert "2 invitations sent." in messages_of(response)
    # The page stays, lists each bad line with why, and offers the bad lines back to fix.
    assert response.status_code == 200
    problems = response.context["not_invited"]
    assert len(problems) == 3
    assert problems[0].startswith("Line 2:") and "not-an-address" in problems[0]
    assert problems[1].startswith("Line 4:") and "role" in problems[1]
    assert problems[2].startswith("Line 5:")
    html = response.content.decode()
    assert "These 3 lines were not invited; fix them below and send again:" in html
    assert "Line 2:" in html and "Line 4:" in html and "Line 5:" in html
    assert response.context["form"]["people"].value() == (
        "Bad Person, not-an-address\nGrace Hopper, grace@lab-c.org, janitor\nalso wrong@"
    )
    # Fixed and sent again: the rest are invited, nothing twice.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse(INVITE_URL),
            {
                "workshop": workshop.pk,
                "role": Role.REVIEWER,
                "people": "Bad Person, bad@lab-f.org\nGrace Hopper, grace@lab-c.org, reviewer",
            },
            follow=True,
        )
    assert "2 invitations sent." in messages_of(response)
    assert Invitation.objects.count() == 4


def test_only_bad_lines_invite_nobody_and_keep_the_input(client, workshop, chair):
    client.force_login(chair)
    response = client.post(
        reverse(INVITE_URL),
        {"workshop": workshop.pk, "role": Role.REVIEWER, "people": "nobody\nalso wrong@"},
    )
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert [e[:7] for e in errors] == ["Line 1:", "Line 2:"]
    assert response.context["form"]["people"].value() == "nobody\nalso wrong@"
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_empty_invite_is_refused(client, workshop, chair):
    client.force_login(chair)
    response = client.post(
        reverse(INVITE_URL), {"workshop": workshop.pk, "role": Role.REVIEWER, "people": "  "}
    )
    assert response.status_code == 200
    assert "Give at least one email address." in response.context["form"].non_field_errors()
    assert not Invitation.objects.exists()


def test_parse_invitation_rows_formats():
    rows, problems = parse_invitation_rows(
        "email,name\n"
        "ada@lab-a.org\n"
        "Alan Turing <ALAN@LAB-B.ORG>\n"
        "Grace, grace@lab-c.org, meta-reviewer\n"
        "# a comment\n"
    )
    assert problems == []
    assert [(r.name, r.email, r.role) for r in rows] == [
        ("", "ada@lab-a.org", Role.REVIEWER),
        ("Alan Turing", "alan@lab-b.org", Role.REVIEWER),
        ("Grace", "grace@lab-c.org", Role.AREA_CHAIR),
    ]


def test_duplicate_pending_invitation_is_skipped_with_a_message(client, workshop, chair):
    client.force_login(chair)
    invite(workshop, chair, email="ada@lab-a.org")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse(INVITE_URL),
            {
                "workshop": workshop.pk,
                "role": Role.REVIEWER,
                "people": "ADA@lab-a.org\nalan@lab-b.org\nalan@lab-b.org\nAda, ada@lab-a.org, ac",
            },
            follow=True,
        )
    shown = messages_of(response)
    assert "2 invitations sent." in shown
    skipped = [m for m in shown if m.startswith("Skipped:")]
    assert len(skipped) == 2
    assert any("ada@lab-a.org" in m and "pending invitation" in m for m in skipped)
    assert any("alan@lab-b.org" in m and "pending invitation" in m for m in skipped)
    assert Invitation.objects.filter(email="ada@lab-a.org", role=Role.REVIEWER).count() == 1
    # The same address in another role is a different invitation.
    assert Invitation.objects.filter(email="ada@lab-a.org", role=Role.AREA_CHAIR).count() == 1
    assert Invitation.objects.filter(email="alan@lab-b.org").count() == 1
    assert OutgoingMail.objects.filter(kind="committee_invitation").count() == 3


def test_current_member_in_that_role_is_skipped(client, workshop, chair):
    member = UserFactory(email="rita@rev-lab.org")
    MembershipFactory(workshop=workshop, user=member, role=Role.REVIEWER)
    client.force_login(chair)
    response = client.post(
        reverse(INVITE_URL),
        {"workshop": workshop.pk, "role": Role.REVIEWER, "people": "rita@rev-lab.org"},
        follow=True,
    )
    assert "0 invitations sent." in messages_of(response)
    assert any("already on the committee" in m for m in messages_of(response))
    assert not Invitation.objects.exists()


# --------------------------------------------------------------------------- accepting


def test_accept_link_requires_sign_in(client, workshop, chair):
    invitation = invite(workshop, chair)
    accept, _ = links(invitation)
    page = client.get(accept)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{reverse('account_login')}?next={accept}" in html
    assert f"{reverse('account_signup')}?next={accept}" in html
    assert "Sign in" in html and "Sign up" in html
    response = client.post(accept)
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={accept}"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not Membership.objects.filter(role=Role.REVIEWER).exists()


def test_accepting_attaches_the_address_grants_the_role_and_welcomes(client, workshop, chair):
    invitation = invite(workshop, chair, email="ada@lab-a.org", role=Role.AREA_CHAIR)
    accept, _ = links(invitation)
    newcomer = UserFactory(email="ada.private@gmail.com", name="Ada Lovelace")
    client.force_login(newcomer)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(accept)
    assert response.status_code == 302
    assert response.url == reverse("reviews:profile", args=[workshop.slug])
    address = EmailAddress.objects.get(email="ada@lab-a.org")
    assert address.user == newcomer and address.verified and not address.primary
    assert Membership.objects.filter(
        workshop=workshop, user=newcomer, role=Role.AREA_CHAIR
    ).exists()
    assert ReviewerProfile.objects.filter(workshop=workshop, user=newcomer).exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.accepted_by == newcomer
    assert invitation.responded_at is not None
    welcome = OutgoingMail.objects.get(kind="committee_welcome")
    assert welcome.to == "ada.private@gmail.com" and welcome.recipient == newcomer
    assert [m.to for m in mail.outbox] == [["ada.private@gmail.com"]]
    # The profile page the accept redirects to now opens.
    assert client.get(response.url).status_code == 200


def test_accepting_verifies_an_unverified_invited_address_of_the_same_account(
    client, workshop, chair
):
    invitation = invite(workshop, chair, email="ada@lab-a.org")
    accept, _ = links(invitation)
    user = UserFactory(email="ada@lab-a.org", verified=False)
    EmailAddress.objects.create(user=user, email="ada@lab-a.org", verified=False, primary=True)
    client.force_login(user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(accept)
    assert EmailAddress.objects.get(email="ada@lab-a.org").verified
    assert Membership.objects.filter(workshop=workshop, user=user, role=Role.REVIEWER).exists()


def test_accept_link_used_twice_explains_itself(client, workshop, chair):
    invitation = invite(workshop, chair)
    accept, decline = links(invitation)
    user = UserFactory(email="ada@lab-a.org")
    client.force_login(user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(accept)
    mails = OutgoingMail.objects.count()
    with TestCase.captureOnCommitCallbacks(execute=True):
        again = client.post(accept)
    assert again.status_code == 410
    assert "works once" in again.content.decode()
    assert client.get(accept).status_code == 410
    # The decline link of an accepted invitation is spent too.
    declined = client.post(decline, {"reason": "changed my mind"})
    assert declined.status_code == 410
    assert "works once" in declined.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.decline_reason == ""
    assert OutgoingMail.objects.count() == mails
    assert Membership.objects.filter(user=user, role=Role.REVIEWER).count() == 1


def test_expired_link_explains_itself_and_changes_nothing(client, workshop, chair):
    invitation = invite(workshop, chair)
    accept, decline = links(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    user = UserFactory(email="ada@lab-a.org")
    client.force_login(user)
    for response in (client.get(accept), client.post(accept), client.post(decline)):
        assert response.status_code == 410
        text = response.content.decode()
        assert "expired" in text and workshop.contact_email in text
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not Membership.objects.filter(user=user).exists()
    assert not ReviewerProfile.objects.exists()
    assert not OutgoingMail.objects.filter(kind="committee_welcome").exists()


@pytest.mark.parametrize("how", ["primary", "secondary"])
def test_invited_address_of_another_account_is_refused(client, workshop, chair, how):
    invitation = invite(workshop, chair, email="ada@lab-a.org")
    accept, _ = links(invitation)
    if how == "primary":
        UserFactory(email="ada@lab-a.org", name="Ada Lovelace")
    else:
        owner = UserFactory(email="ada.private@gmail.com", name="Ada Lovelace")
        EmailAddress.objects.create(user=owner, email="ada@lab-a.org", verified=True)
    intruder = UserFactory(email="mallory@evil-lab.org", name="Mallory")
    client.force_login(intruder)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(accept)
    assert response.status_code == 403
    text = response.content.decode()
    assert "belongs to another account" in text
    assert not Membership.objects.filter(user=intruder).exists()
    assert not EmailAddress.objects.filter(user=intruder, email="ada@lab-a.org").exists()
    assert not ReviewerProfile.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_decline_link_cannot_accept_and_accept_link_cannot_decline(client, workshop, chair):
    invitation = invite(workshop, chair)
    accept, decline = links(invitation)
    user = UserFactory(email="ada@lab-a.org")
    with pytest.raises(InvitationLinkError, match="decline"):
        invitation_accept(token=token(decline), user=user)
    with pytest.raises(InvitationLinkError, match="accept"):
        invitation_decline(token=token(accept), reason="no")
    # Through the view: posting a reason to the accept link accepts or asks to sign in,
    # never declines; posting to the decline link signed in declines, never accepts.
    response = client.post(accept, {"reason": "Too busy"})
    assert response.status_code == 302 and reverse("account_login") in response.url
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    client.force_login(user)
    response = client.post(decline, {"reason": "Too busy"})
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert not Membership.objects.filter(user=user).exists()


def test_decline_with_a_reason_is_shown_to_the_chairs(client, workshop, chair):
    invitation = invite(workshop, chair)
    accept, decline = links(invitation)
    page = client.get(decline)
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    response = client.post(decline, {"reason": "On sabbatical until May"})
    assert response.status_code == 200
    assert "You have declined" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert invitation.decline_reason == "On sabbatical until May"
    assert client.get(accept).status_code == 410
    client.force_login(chair)
    changelist = client.get(reverse(CHANGELIST_URL)).content.decode()
    assert "On sabbatical until May" in changelist
    assert "Declined" in changelist


def test_decline_without_a_reason(client, workshop, chair):
    invitation = invite(workshop, chair)
    _, decline = links(invitation)
    assert client.post(decline).status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert invitation.decline_reason == ""


def test_unknown_link_explains_itself(client, db):
    response = client.get("/invitations/not-a-real-token/")
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


# --------------------------------------------------------------------------- re-send, revoke


def test_resend_makes_new_links_and_the_old_ones_stop_working(client, workshop, chair):
    invitation = invite(workshop, chair)
    old_accept, old_decline = links(invitation)
    client.force_login(chair)
    response = admin_action(client, "resend", invitation)
    assert "1 invitation re-sent." in messages_of(response)
    invitation.refresh_from_db()
    assert invitation.sent_count == 2
    assert OutgoingMail.objects.filter(kind="committee_invitation").count() == 2
    new_accept, new_decline = links(invitation)
    assert {new_accept, new_decline}.isdisjoint({old_accept, old_decline})
    client.logout()
    for old in (old_accept, old_decline):
        gone = client.get(old)
        assert gone.status_code == 410
        assert "newer invitation" in gone.content.decode()
        assert client.post(old).status_code == 410
    assert client.get(new_accept).status_code == 200
    assert client.post(new_decline, {"reason": "no"}).status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED


def test_resend_of_an_answered_invitation_is_refused(client, workshop, chair):
    invitation = invite(workshop, chair)
    _, decline = links(invitation)
    client.post(decline)
    client.force_login(chair)
    response = admin_action(client, "resend", invitation)
    assert any("declined" in m for m in messages_of(response))
    invitation.refresh_from_db()
    assert invitation.sent_count == 1


def test_revoke_makes_links_fail(client, workshop, chair):
    invitation = invite(workshop, chair)
    accept, decline = links(invitation)
    client.force_login(chair)
    response = admin_action(client, "revoke", invitation)
    assert any("Revoked" in m for m in messages_of(response))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    user = UserFactory(email="ada@lab-a.org")
    client.force_login(user)
    for response in (client.get(accept), client.post(accept), client.post(decline)):
        assert response.status_code == 410
        assert "withdrawn" in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED


def test_revoked_invitation_can_be_issued_again(client, workshop, chair):
    first = invite(workshop, chair)
    client.force_login(chair)
    admin_action(client, "revoke", first)
    second = invite(workshop, chair)
    assert second.pk != first.pk
    accept, _ = links(second)
    assert client.get(accept).status_code == 200


# --------------------------------------------------------------------------- scoping


def test_chair_of_another_workshop_cannot_see_or_act_on_invitations(
    client, workshop, chair, other_workshop, other_chair
):
    invitation = invite(workshop, chair, email="ada@lab-a.org")
    theirs = invite(other_workshop, other_chair, email="bob@lab-b.org")
    client.force_login(other_chair)

    changelist = client.get(reverse(CHANGELIST_URL))
    assert changelist.status_code == 200
    html = changelist.content.decode()
    assert "bob@lab-b.org" in html
    assert "ada@lab-a.org" not in html
    assert reverse("admin:reviews_committee", args=[workshop.pk]) not in html
    assert reverse("admin:reviews_committee", args=[other_workshop.pk]) in html
    searched = client.get(reverse(CHANGELIST_URL), {"q": "ada"}).content.decode()
    assert "ada@lab-a.org" not in searched

    admin_action(client, "resend", invitation)
    admin_action(client, "revoke", invitation)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.sent_count == 1
    assert mails_about(invitation).count() == 1

    page = client.get(reverse(INVITE_URL))
    choices = list(page.context["form"].fields["workshop"].queryset)
    assert choices == [other_workshop]
    assert "Workshop Alpha" not in page.content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        refused = client.post(
            reverse(INVITE_URL),
            {"workshop": workshop.pk, "role": Role.REVIEWER, "people": "eve@lab-e.org"},
        )
    assert refused.status_code == 200
    assert "workshop" in refused.context["form"].errors
    assert not Invitation.objects.filter(email="eve@lab-e.org").exists()

    for name in ("admin:reviews_committee", "admin:reviews_bid_coverage"):
        assert client.get(reverse(name, args=[workshop.pk])).status_code == 404
        assert client.get(reverse(name, args=[other_workshop.pk])).status_code == 200
    assert (
        client.get(reverse("admin:reviews_invitation_change", args=[invitation.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("admin:reviews_invitation_change", args=[theirs.pk])).status_code == 200
    )


def test_reviewer_without_chair_role_cannot_invite(client, workshop, chair):
    reviewer = UserFactory(email="rita@rev-lab.org")
    MembershipFactory(workshop=workshop, user=reviewer, role=Role.REVIEWER)
    client.force_login(reviewer)
    response = client.get(reverse(INVITE_URL))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url
