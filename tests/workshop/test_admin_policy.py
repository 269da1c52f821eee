"""The admin goes through the policy and the actions (issue #10, point 3).

As the chair of workshop B (not a superuser), every registered model's add and change form,
inline, list filter and action offers nothing of workshop A and nobody outside B; no state
field is a form field; the cross-workshop camera-ready attack publishes nothing; deleting a
membership or a conflict override and restoring a paper go through their services.

The world (two workshops with one object of every registered model each) is built once per
module, inside a transaction rolled back at the end; every test runs in its own savepoint.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, TestCase
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from reviews.models import (
    Assignment,
    ConflictOverride,
)
from submissions.models import (
    FileKind,
    Submission,
    SubmissionStatus,
)
from workshop.admin_scoping import scope_choices
from workshop.models import Activity, OutgoingMail, Role, User
from workshop.relations import workshop_of
from workshop.services import membership_grant

from .admin_world import MARKERS, build_workshop, form_data, person


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            a, b = build_workshop("qqa"), build_workshop("beta")
            loner = person("qqloner", 9)
            root = User.objects.create_superuser(email="qqroot@example.org", name="qqroot")
            yield {"a": a, "b": b, "loner": loner, "root": root}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


pytestmark = pytest.mark.django_db


@pytest.fixture
def chair_b(world, client) -> Client:
    client.force_login(world["b"]["chair"])
    return client


@contextmanager
def rolled_back():
    """Run a request whose effects must not reach the next one."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- what B's chair may be offered ------------------------------------------------------------


# Random tokens (CSRF) may spell a marker by chance ("...b8qqadx..."): they name nobody.
RANDOM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"')


def assert_no_markers(html: str, where: str) -> None:
    lowered = RANDOM_TOKEN.sub("", html).lower()
    for marker in MARKERS:
        assert marker not in lowered, f"{where} names {marker!r}"


def assert_choices_in_b(field, world, where: str) -> None:
    """Every object a choice field offers belongs to B, or is a person connected to B."""
    queryset = getattr(field, "queryset", None)
    if queryset is None:
        return
    allowed_people = world["b"]["people"]
    for obj in queryset:
        if isinstance(obj, User):
            assert obj in allowed_people, f"{where} offers {obj}"
        else:
            assert workshop_of(obj) == world["b"]["w"], f"{where} offers {obj!r}"


STATE_FIELDS = {
    "submission": {"status", "status_before_withdrawal", "paper", "supplementary",
                   "camera_ready", "licence", "licence_accepted_at", "licence_accepted_by",
                   "submitted_at", "registered_at", "withdrawn_at"},
    "workshop": {"reviews_released", "decisions_released"},
    "assignment": {"declined_at", "decline_reason", "pseudonym", "reviewer", "submission"},
    "review": {"status", "version", "submitted_at"},
    "invitation": {"status", "accept_hash", "decline_hash", "accepted_by", "responded_at"},
    "matchingrun": {"status", "result", "baseline", "committed_at", "progress"},
    "outgoingmail": {f.name for f in OutgoingMail._meta.concrete_fields},
    "activity": {f.name for f in Activity._meta.concrete_fields},
    "membership": {"user", "workshop", "role"},
    "reviewerprofile": {"requested_max_load", "load_request_approved"},
    "conflictoverride": {"submission", "user", "set_by"},
    "authorship": {"name", "email", "position", "is_contact", "affiliation"},
    "submissionfile": {"file", "kind", "sha256"},
    "authorconflict": {"member", "institution"},
}  # fmt: skip
STATE_FIELDS["decisionboard"] = STATE_FIELDS["submission"]
# On a new row the pair is chosen, never changed afterwards.
ADD_ALLOWED = {
    "conflictoverride": {"submission", "user"},
    "membership": {"user", "workshop"},
    "assignment": {"submission", "reviewer"},
}


def check_forms(response, world, name: str, *, adding: bool) -> None:
    """Choices offered by the page's forms (admin form, inlines, custom forms) and which
    fields are editable."""
    context = response.context
    forms: list[tuple[str, Any]] = []
    if context.get("adminform") is not None:
        forms.append((name, context["adminform"].form))
    for inline in context.get("inline_admin_formsets") or []:
        inline_name = inline.formset.model._meta.model_name
        forms += [(inline_name, f) for f in inline.formset.forms]
        forms.append((inline_name, inline.formset.empty_form))
    if context.get("form") is not None and hasattr(context["form"], "fields"):
        forms.append((name, context["form"]))
    for model_name, form in forms:
        state = STATE_FIELDS.get(model_name, set())
        if adding:
            state = state - ADD_ALLOWED.get(model_name, set())
        editable = state & set(form.fields)
        assert not editable, f"{model_name}: state fields editable: {sorted(editable)}"
        for field_name, field in form.fields.items():
            assert_choices_in_b(field, world, f"{name} form field {model_name}.{field_name}")


def registered() -> list[tuple[type, admin.ModelAdmin]]:
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def url(model, view: str, *args) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


@pytest.mark.parametrize("view", ["changelist", "add", "change"])
def test_every_admin_page_of_b_offers_nothing_of_a_and_no_state_field(world, chair_b, view):
    seen = 0
    for model, _model_admin in registered():
        name = model._meta.model_name
        if model._meta.app_label not in ("workshop", "submissions", "reviews"):
            continue
        obj = world["b"]["objects"].get(name)
        if model is User:
            target = url(model, "changelist")
            assert chair_b.get(target).status_code == 403, "chairs never browse users"
            continue
        if view == "change":
            if obj is None:
                continue
            target = url(model, "change", obj.pk)
        else:
            target = url(model, view)
        response = chair_b.get(target, follow=True)
        assert response.status_code in (200, 403), (target, response.status_code)
        if response.status_code == 403:
            continue
        seen += 1
        assert_no_markers(response.content.decode(), target)
        if view == "changelist" and response.context.get("cl") is not None:
            check_changelist(response, world, name)
        elif view != "changelist":
            check_forms(response, world, name, adding=view == "add")
    assert seen >= {"changelist": 18, "add": 9, "change": 18}[view]


def check_changelist(response, world, name: str) -> None:
    changelist = response.context["cl"]
    shown = list(changelist.result_list)
    for row in shown:
        assert workshop_of(row) == world["b"]["w"], f"{name} lists {row!r}"
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            assert_no_markers(str(choice["display"]), f"{name} filter {spec.title}")
        if isinstance(spec, RelatedFieldListFilter):
            related = spec.field.related_model
            for pk, _label in spec.lookup_choices:
                obj = related._default_manager.get(pk=pk)
                if isinstance(obj, User):
                    assert obj in world["b"]["people"], f"{name} filter offers {obj}"
                else:
                    assert workshop_of(obj) == world["b"]["w"], (name, obj)


def test_every_action_of_b_works_on_b_only_and_its_pages_name_nothing_of_a(world, chair_b):
    ran = 0
    for model, model_admin in registered():
        name = model._meta.model_name
        a_obj, b_obj = world["a"]["objects"].get(name), world["b"]["objects"].get(name)
        target = url(model, "changelist")
        if b_obj is None or chair_b.get(target).status_code != 200:
            continue
        request = chair_b.get(target).wsgi_request
        for action in model_admin.get_actions(request):
            with rolled_back():
                with TestCase.captureOnCommitCallbacks(execute=False):
                    response = chair_b.post(
                        target,
                        {"action": action, "_selected_action": [a_obj.pk, b_obj.pk]},
                        follow=True,
                    )
                assert response.status_code == 200, (name, action, response.status_code)
                assert_no_markers(response.content.decode(), f"{name} action {action}")
                # The objects of A are untouched, whatever the action did to B's.
                type(a_obj)._default_manager.get(pk=a_obj.pk)
                ran += 1
    assert ran >= 10


def test_raw_id_and_select_choices_outside_b_are_form_errors(world, chair_b):
    """A typed id of A's paper or of a person outside B: "Select a valid choice", no 500."""
    b, a = world["b"], world["a"]
    target = reverse("admin:reviews_conflictoverride_add")
    before = ConflictOverride.objects.count()
    for submission, user in (
        (b["paper"], a["reviewer"]),
        (b["paper"], world["loner"]),
        (a["paper"], b["author"]),
    ):
        with rolled_back():
            response = chair_b.post(
                target,
                {"submission": submission.pk, "user": user.pk, "conflicted": "on",
                 "reason": "typed"},
            )  # fmt: skip
        assert response.status_code == 200
        assert response.context["adminform"].form.errors
    assert ConflictOverride.objects.count() == before
    with rolled_back():
        response = chair_b.post(
            target,
            {"submission": b["paper"].pk, "user": b["author"].pk, "conflicted": "on",
             "reason": "typed"},
        )  # fmt: skip
        assert response.status_code == 302
        assert Activity.objects.filter(action="conflict.set", submission_id=b["paper"].pk).count()


def test_user_choices_are_the_people_of_b_only(world):
    chair = world["b"]["chair"]
    offered = set(scope_choices(User.objects.all(), chair))
    assert offered == world["b"]["people"]
    assert set(scope_choices(User.objects.all(), world["root"])) >= offered | {world["loner"]}


# --- the camera-ready attack ------------------------------------------------------------------


def test_the_cross_workshop_camera_ready_attack_publishes_nothing(world, chair_b, settings):
    a, b = world["a"], world["b"]
    secret = b"%PDF-1.4 A's original upload, under double-blind review"
    a_file = a["files"][FileKind.PAPER]
    a_file.file.save(f"a-{a_file.pk}.pdf", ContentFile(secret), save=True)
    paper = b["paper"]
    before = Submission.objects.filter(pk=paper.pk).values().get()
    change = reverse("admin:submissions_submission_change", args=[paper.pk])
    response = chair_b.post(
        change,
        {"title": paper.title, "camera_ready": a_file.pk, "status": SubmissionStatus.ACCEPTED,
         "licence": "CC-BY-4.0", "licence_accepted_by": a["author"].pk},
    )  # fmt: skip
    assert response.status_code == 403
    assert Submission.objects.filter(pk=paper.pk).values().get() == before

    workshop_change = reverse("admin:workshop_workshop_change", args=[b["w"].pk])
    page = chair_b.get(workshop_change)
    data = form_data(page)
    data.update(decisions_released="on", reviews_released="on", name="Workshop beta renamed")
    response = chair_b.post(workshop_change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    b["w"].refresh_from_db()
    assert b["w"].name == "Workshop beta renamed"  # the settings are saved...
    assert not b["w"].decisions_released and not b["w"].reviews_released  # ...not the switches
    entry = Activity.objects.get(action="workshop.configure", workshop=b["w"])
    assert entry.before == {"name": "Workshop beta"}
    assert entry.after == {"name": "Workshop beta renamed"}
    assert entry.actor == b["chair"]

    pdf = chair_b.get(reverse("submissions:accepted_pdf", args=[b["w"].slug, paper.number]))
    assert pdf.status_code == 404
    assert secret not in b"".join(getattr(pdf, "streaming_content", [pdf.content]))


def test_config_changes_go_through_the_service_once_per_row(world, chair_b):
    b = world["b"]
    topic = b["objects"]["topic"]
    target = reverse("admin:workshop_topic_change", args=[topic.pk])
    response = chair_b.post(
        target, {"workshop": b["w"].pk, "name": "Renamed", "description": "", "order": 3}
    )
    assert response.status_code == 302
    entry = Activity.objects.get(action="topic.configure", target_id=topic.pk)
    assert entry.before == {"name": "beta topic", "order": "0", "description": "About things."}
    assert entry.after == {"name": "Renamed", "order": "3", "description": ""}
    # A move to A's workshop is not a valid choice.
    response = chair_b.post(
        target, {"workshop": world["a"]["w"].pk, "name": "Moved", "description": "", "order": 3}
    )
    assert response.status_code == 200
    topic.refresh_from_db()
    assert topic.workshop == b["w"] and topic.name == "Renamed"


# --- deletions and transitions through the services -------------------------------------------


def test_deleting_a_membership_revokes_it_through_the_service(world, chair_b):
    b = world["b"]
    second = person("beta", 7)
    membership_grant(workshop=b["w"], user=second, role=Role.CHAIR)
    second.refresh_from_db()
    assert second.is_staff
    chair_role = second.memberships.get(role=Role.CHAIR)
    response = chair_b.post(
        reverse("admin:workshop_membership_delete", args=[chair_role.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert not second.is_staff  # the last chair role went, so did admin access
    entries = Activity.objects.filter(action="membership.revoke", workshop=b["w"])
    assert entries.count() == 1
    assert entries.get().actor == b["chair"] and entries.get().target == second
    # In bulk too, and only for B's rows.
    a_member, b_member = world["a"]["objects"]["membership"], b["objects"]["membership"]
    chair_b.post(
        reverse("admin:workshop_membership_changelist"),
        {"action": "delete_selected", "_selected_action": [a_member.pk, b_member.pk],
         "post": "yes"},
    )  # fmt: skip
    assert not type(b_member).objects.filter(pk=b_member.pk).exists()
    assert type(a_member).objects.filter(pk=a_member.pk).exists()
    assert Activity.objects.filter(action="membership.revoke", workshop=b["w"]).count() == 2


def test_deleting_a_conflict_override_writes_one_activity_entry(world, chair_b):
    override = world["b"]["objects"]["conflictoverride"]
    response = chair_b.post(
        reverse("admin:reviews_conflictoverride_delete", args=[override.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not ConflictOverride.objects.filter(pk=override.pk).exists()
    entry = Activity.objects.get(action="conflict.remove")
    assert entry.submission_id == override.submission_id
    assert entry.before == {"conflicted": False, "reason": "beta reason"}
    assert entry.actor == world["b"]["chair"]


def test_restoring_through_the_admin_action_logs_once_and_mails_the_authors(world, chair_b):
    paper = world["b"]["paper"]
    Submission.objects.filter(pk=paper.pk).update(
        status=SubmissionStatus.WITHDRAWN,
        status_before_withdrawal=SubmissionStatus.SUBMITTED,
        withdrawn_at=timezone.now(),
    )
    entries_before = set(Activity.objects.values_list("pk", flat=True))
    mails_before = set(OutgoingMail.objects.values_list("pk", flat=True))
    with TestCase.captureOnCommitCallbacks(execute=False):
        response = chair_b.post(
            reverse("admin:submissions_submission_changelist"),
            {"action": "restore_withdrawn", "_selected_action": [paper.pk]},
            follow=True,
        )
    assert "1 submission restored." in response.content.decode()
    paper.refresh_from_db()
    assert paper.status == SubmissionStatus.SUBMITTED
    new_entries = Activity.objects.exclude(pk__in=entries_before)
    assert new_entries.count() == 1
    assert new_entries.get().submission_id == paper.pk
    assert new_entries.get().actor == world["b"]["chair"]
    mailed = set(
        OutgoingMail.objects.exclude(pk__in=mails_before)
        .filter(submission_id=paper.pk)
        .values_list("to", flat=True)
    )
    assert world["b"]["author"].email in mailed


def test_release_switches_are_buttons_that_lead_to_the_release_actions(world, chair_b):
    page = chair_b.get(reverse("admin:workshop_workshop_change", args=[world["b"]["w"].pk]))
    html = page.content.decode()
    assert reverse("admin:reviews_decision_mails", args=[world["b"]["w"].pk]) in html
    assert "decisions_released" not in page.context["adminform"].form.fields


def test_every_delete_a_chair_can_make_goes_through_a_service(world, chair_b):
    """Walks every registered admin: B's chair either cannot delete B's object (403, the
    row stays) or the delete writes what the service writes (an activity entry). A new
    admin that deletes around its service fails here."""
    b = world["b"]
    refused, routed = [], []
    for model, _model_admin in registered():
        obj = b["objects"].get(model._meta.model_name)
        target = obj is not None and url(model, "delete", obj.pk)
        if not target:
            continue
        with rolled_back():
            before = Activity.objects.count()
            response = chair_b.post(target, {"post": "yes"})
            still_there = model._default_manager.filter(pk=obj.pk).exists()
            if response.status_code in (200, 403):  # refused, or protected by its rows
                assert still_there, model._meta.label
                refused.append(model._meta.model_name)
                continue
            assert response.status_code == 302 and not still_there, model._meta.label
            assert Activity.objects.count() > before, f"{model._meta.label}: no activity entry"
            routed.append(model._meta.model_name)
    # The admins the issue found deleting around their services:
    assert {"invitation", "reviewerprofile", "bid"} <= set(refused)
    assert "assignment" in routed


def test_deleting_an_assignment_in_the_admin_unassigns_through_the_service(world, chair_b):
    from reviews.models import PaperScore

    b = world["b"]
    assignment = b["objects"]["assignment"]
    PaperScore.objects.update_or_create(submission=b["paper"], defaults={"assigned": 1})
    with rolled_back():
        response = chair_b.post(
            reverse("admin:reviews_assignment_delete", args=[assignment.pk]), {"post": "yes"}
        )
        assert response.status_code == 302
        assert not Assignment.objects.filter(pk=assignment.pk).exists()
        entry = Activity.objects.get(action="assignment.remove", target_id=assignment.pk)
        assert entry.actor == b["chair"]
        assert PaperScore.objects.get(submission=b["paper"]).assigned == 0  # not stale
