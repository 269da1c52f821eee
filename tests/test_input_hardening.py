"""Issue 30, finding 5 (the 500s outside the API and the archive) and its two general input
rules: numbers are finite at every numeric input, and one-line fields refuse line breaks."""

from __future__ import annotations

import json
import math

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.db import transaction
from django.forms.widgets import Input
from django.test import RequestFactory
from django.urls import reverse

from programme.forms import SessionForm
from programme.models import Session
from programme.services import paper_place, programme_publish
from reviews.models import AffinityScore, MatchingRun, RunStatus
from reviews.selectors.matching import matching_input
from submissions.forms import SubmissionForm
from tests.api.world import auth, build_api_world
from tests.factories import MembershipFactory, TopicFactory
from tests.policy_spec import enter_phase
from tests.programme.world import build_world
from transfer.formats.openreview import parse_affinity
from transfer.report import Report
from workshop.models import Role, Topic
from workshop.validators import ONE_LINE_MESSAGE, OneLineInputs, finite_float, validate_one_line

pytestmark = pytest.mark.django_db

NON_FINITE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e999"]
BREAKS = ["Two\r\nlines", "Two\nlines", "Two\rlines", "Two\u2028lines", "Two\x0blines"]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The programme tests' decided workshop, its programme published, one paper placed."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        TopicFactory(workshop=built.workshop, name="Evaluation")
        paper_place(actor=built.chair, submission=built.accepted[0], session=built.orals)
        programme_publish(actor=built.chair, workshop=built.workshop)
        yield built
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def api_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_api_world()
        transaction.set_rollback(True)


# --- the 500s ---------------------------------------------------------------------------------


def test_the_committed_run_of_a_decided_workshop_renders(client, world):
    """Its papers are decided, so none is under review: the fit explanation was computed over
    zero papers (StopIteration in the text space)."""
    reviewer = MembershipFactory(workshop=world.workshop, role=Role.REVIEWER).user
    paper = world.accepted[0]
    run = MatchingRun.objects.create(
        workshop=world.workshop,
        status=RunStatus.COMMITTED,
        result={"pairs": [[paper.pk, reviewer.pk, 0.5]], "total": 0.5, "min_paper_sum": 0.5},
    )
    client.force_login(world.chair)
    response = client.get(reverse("admin:reviews_matchingrun_change", args=[run.pk]))
    assert response.status_code == 200
    assert paper.title in response.content.decode()
    instance = matching_input(world.workshop)
    assert instance.papers == [] and instance.affinity.shape == (0, 1)


def test_a_session_feed_with_stored_line_breaks_answers_one_line_per_value(client, world):
    """Rows stored before the rule may hold CR/LF in one-line fields: anonymous visitors got
    a 500 (icalendar refuses a raw line break in the calendar's name)."""
    Session.objects.filter(pk=world.orals.pk).update(
        title="Orals\r\nX-INJECTED:1", room="Hall\r\nA"
    )
    for name, args in [("session_ics", [world.orals.pk]), ("ics", [])]:
        response = client.get(reverse(f"programme:{name}", args=[world.workshop.slug, *args]))
        assert response.status_code == 200
        assert b"\r\nX-INJECTED" not in response.content
        assert b"Orals X-INJECTED:1" in response.content.replace(b"\r\n ", b"")


@pytest.mark.parametrize(
    "data",
    [
        {"submission": "abc", "session": "orals"},
        {"submission": "1.5", "session": "unplaced"},
        {"submission": "²", "session": "unplaced"},
        {"submission": "paper", "session": "x"},
        {"session": "orals"},
    ],
)
def test_placing_with_a_non_integer_id_is_a_bad_request(client, world, data):
    client.force_login(world.chair)
    data = {
        "submission": str(world.accepted[1].pk) if data.get("submission") == "paper" else "",
        **{k: v for k, v in data.items() if v != "paper"},
    }
    if data["session"] == "orals":
        data["session"] = str(world.orals.pk)
    url = reverse("programme:place", args=[world.workshop.slug])
    response = client.post(url, data)
    assert response.status_code == 400
    assert "whole number" in response.content.decode()
    response = client.post(url, data, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "whole number" in response.json()["message"]


def test_a_position_in_another_script_is_ignored(client, world):
    client.force_login(world.chair)
    response = client.post(
        reverse("programme:place", args=[world.workshop.slug]),
        {"submission": world.accepted[2].pk, "session": world.orals.pk, "position": "²"},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "fmt,text",
    [
        ("orcid", "[" * 100_000 + "]" * 100_000),
        ("openreview", '{"notes": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001),
        ("auto", '{"notes": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("semantic_scholar", '{"data": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ],
)
def test_a_deeply_nested_publication_file_is_a_form_error(client, world, fmt, text):
    reviewer = MembershipFactory(workshop=world.workshop, role=Role.REVIEWER).user
    client.force_login(reviewer)
    response = client.post(
        reverse("reviews:publications_import", args=[world.workshop.slug]),
        {"text": text, "format": fmt},
    )
    assert response.status_code == 302
    report = client.session["publication-import-report"]
    assert report["ok"] is False
    assert report["errors"] == ["The file is nested too deeply to be a publication list."]


# --- numbers are finite ----------------------------------------------------------------------


def test_an_affinity_file_with_non_finite_scores_is_refused_line_by_line():
    rows = "".join(f"{i},rev@pc.example.org,{v}\n" for i, v in enumerate(NON_FINITE, start=1))
    report = Report()
    bundle = parse_affinity(f"paper_id,reviewer_email,score\n{rows}9,r@pc.example.org,0.5\n"
                            .encode(), report)  # fmt: skip
    assert [a.score for a in bundle.affinities] == [0.5]
    assert len(report.errors) == len(NON_FINITE)
    assert all("must be a finite number" in str(e) for e in report.errors), report.errors


def test_stored_non_finite_affinities_count_as_missing(world, caplog):
    """A restored archive or an older import may hold them: every run used to fail. (NaN is
    one more on PostgreSQL; SQLite stores it as NULL, which the column refuses.)"""
    from submissions.models import SubmissionStatus

    paper = world.accepted[3]
    type(paper).objects.filter(pk=paper.pk).update(status=SubmissionStatus.SUBMITTED)
    one, two, three = (
        MembershipFactory(workshop=world.workshop, role=Role.REVIEWER).user for _ in range(3)
    )
    for user, score in ((one, 0.2), (two, 0.8), (three, float("-inf"))):
        AffinityScore.objects.create(workshop=world.workshop, submission=paper, user=user,
                                     source="openreview", score=score)  # fmt: skip
    AffinityScore.objects.create(workshop=world.workshop, submission=paper, user=three,
                                 source="other", score=float("inf"))  # fmt: skip
    with caplog.at_level("WARNING"):
        instance = matching_input(world.workshop)
    assert "imported affinity scores that are not finite numbers, left out: 2" in caplog.text
    assert bool(instance.affinity.size) and all(map(math.isfinite, instance.affinity.flat))
    imported = instance.parts["imported"]
    pidx, ridx = instance.paper_index(), instance.reviewer_index()
    row = pidx[paper.pk]
    assert imported[row, ridx[one.pk]] == 0.0 and imported[row, ridx[two.pk]] == 1.0
    assert imported[row, ridx[three.pk]] == 0.0  # missing


@pytest.mark.parametrize("text", NON_FINITE)
def test_finite_float_refuses_what_float_accepts(text):
    assert not math.isfinite(float(text))
    with pytest.raises(ValueError, match="not a finite number"):
        finite_float(text)


@pytest.mark.parametrize("value", NON_FINITE)
def test_the_matching_weights_refuse_non_finite_numbers(client, world, value):
    client.force_login(world.chair)
    data = {"workshop": world.workshop.pk, "mode": "max_total", "reviews_per_paper": 2,
            "min_load": 0, "max_load": "", "weight_bid": value, "weight_topic": 0.5,
            "weight_text": 1.0, "prob_cap": value, "seed": ""}  # fmt: skip
    before = MatchingRun.objects.count()
    response = client.post(reverse("admin:reviews_matchingrun_add"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"weight_bid", "prob_cap"}
    assert MatchingRun.objects.count() == before


@pytest.mark.parametrize("value", ["1e999", "-1e999"])
def test_an_api_matching_run_refuses_non_finite_parameters(client, api_world, value):
    """JSON reads 1e999 as infinity; PostgreSQL's jsonb refuses it (a 500)."""
    enter_phase(api_world.base, "r")
    before = MatchingRun.objects.count()
    response = client.post(
        reverse("api:matching-runs", args=[api_world.base.a.slug]),
        data='{"mode": "max_total", "parameters": {"weights": {"bid": VALUE}}}'.replace(
            "VALUE", value
        ),
        content_type="application/json",
        **auth(api_world.secrets["chair-A"]),
    )
    assert response.status_code == 400, response.content
    assert "finite" in json.dumps(response.json())
    assert MatchingRun.objects.count() == before


@pytest.mark.parametrize("value", ["1e999", "-1e999"])
def test_an_api_review_answer_refuses_non_finite_numbers(client, api_world, value):
    """DRF's JSONField refuses them (int(inf) in the answer's check would raise)."""
    enter_phase(api_world.base, "r")
    world = api_world.base
    overall = next(q.pk for q in world.questions if q.label.startswith("Overall"))
    response = client.put(
        reverse("api:review", args=[world.assignments["R2-asg"]]),
        data='{"answers": {"QID": VALUE}}'.replace("QID", str(overall)).replace("VALUE", value),
        content_type="application/json",
        **auth(api_world.secrets["R2-draft"]),
    )
    assert response.status_code == 400, response.content
    assert "valid JSON" in json.dumps(response.json())


# --- one-line fields refuse line breaks -----------------------------------------------------


@pytest.mark.parametrize("title", BREAKS)
def test_the_submission_form_refuses_a_title_with_a_line_break(world, title):
    topic = Topic.objects.filter(workshop=world.workshop).first()
    form = SubmissionForm(
        data={"title": title, "abstract": "About things.", "primary_topic": topic.pk,
              "tldr": "One\r\nline", "llm_use": "none"},
        workshop=world.workshop,
    )  # fmt: skip
    assert not form.is_valid()
    assert form.errors["title"] == [ONE_LINE_MESSAGE]
    assert form.errors["tldr"] == [ONE_LINE_MESSAGE]
    assert "abstract" not in form.errors  # a text area keeps its lines


def test_the_programme_session_form_refuses_a_title_with_a_line_break(client, world):
    client.force_login(world.chair)
    response = client.post(
        reverse("programme:session_new", args=[world.workshop.slug]),
        {"kind": "panel", "title": "Panel\r\nX-INJECTED:1", "room": "Hall\nB",
         "starts_at": "2026-10-26T16:00", "ends_at": "2026-10-26T17:00", "order": "0",
         "chair": ""},
    )  # fmt: skip
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["title"] == [ONE_LINE_MESSAGE] and errors["room"] == [ONE_LINE_MESSAGE]
    assert not Session.objects.filter(title__startswith="Panel").exists()
    assert SessionForm(
        data={"kind": "panel", "title": "Panel", "room": "", "starts_at": "2026-10-26T16:00",
              "ends_at": "2026-10-26T17:00", "order": "0", "chair": ""}
    ).is_valid()  # fmt: skip


def test_an_admin_form_refuses_a_name_with_a_line_break(client, world):
    client.force_login(world.chair)
    response = client.post(
        reverse("admin:workshop_topic_add"),
        {"workshop": world.workshop.pk, "name": "Safety\r\nand more", "description": "Two\nlines",
         "order": 0},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [ONE_LINE_MESSAGE]
    assert not Topic.objects.filter(name__startswith="Safety").exists()


def _project_form_classes() -> list[type]:
    found, stack = [], [forms.BaseForm]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        app = cls.__module__.split(".")[0]
        if app in {"workshop", "submissions", "reviews", "programme", "transfer", "api"}:
            found.append(cls)
    return found


def test_every_form_of_the_project_follows_the_one_line_rule():
    """New forms too: a form class of the project without the mixin fails here."""
    import api.forms  # noqa: F401 - the forms modules register their classes on import
    import programme.forms  # noqa: F401
    import reviews.forms  # noqa: F401
    import submissions.forms  # noqa: F401
    import transfer.forms  # noqa: F401
    import workshop.forms  # noqa: F401

    classes = _project_form_classes()
    assert len(classes) >= 15
    assert [c.__qualname__ for c in classes if not issubclass(c, OneLineInputs)] == []


def test_every_admin_form_follows_the_one_line_rule(world):
    """Every one-line input of every registered admin of the project (and its inlines)."""
    request = RequestFactory().get("/")
    request.user = type(world.chair).objects.filter(is_superuser=True).first() or world.chair
    request.user.is_superuser = request.user.is_staff = True
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"workshop", "submissions", "reviews", "programme",
                                         "transfer", "api"}:  # fmt: skip
            continue
        form_classes = [model_admin.get_form(request)]
        form_classes += [i.get_formset(request).form for i in model_admin.get_inline_instances(
            request)]  # fmt: skip
        for form_class in form_classes:
            for name, field in form_class.base_fields.items():
                if isinstance(field, forms.CharField) and isinstance(field.widget, Input) \
                        and field.widget.input_type == "text":  # fmt: skip
                    assert validate_one_line in field.validators, (model, name)
                    checked += 1
    assert checked >= 10
    assert apps.get_model("workshop", "Topic") in admin.site._registry


def test_the_api_refuses_line_breaks_in_one_line_fields(client, api_world):
    enter_phase(api_world.base, "r")
    slug, chair = api_world.base.a.slug, api_world.secrets["chair-A"]
    response = client.patch(
        reverse("api:workshop", args=[slug]),
        data=json.dumps({"name": "Alpha\r\nX-INJECTED: 1", "short_name": "A\nB"}),
        content_type="application/json",
        **auth(chair),
    )
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert fields["name"] == [ONE_LINE_MESSAGE] and fields["short_name"] == [ONE_LINE_MESSAGE]
    response = client.post(
        reverse("api:invitations", args=[slug]),
        data=json.dumps({"invitations": [{"email": "new@x.example.org", "name": "New\nPerson"}],
                         "dry_run": True}),
        content_type="application/json",
        **auth(chair),
    )  # fmt: skip
    assert response.status_code == 400, response.content
    assert ONE_LINE_MESSAGE in json.dumps(response.json())


# --- ids and numbers in ASCII digits ----------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [("12", 12), (" 7 ", 7), ("²", None), ("1_0", None), ("-1", None), ("1.5", None),
     ("", None), (None, None), ("9" * 19, None)],
)  # fmt: skip
def test_whole_number_takes_ascii_digits_only(text, expected):
    from workshop.validators import whole_number

    assert whole_number(text) == expected


@pytest.mark.parametrize("case", ["run page", "job page", "programme csv", "publication"])
def test_digits_that_int_refuses_are_unknown_ids_not_500s(client, world, case):
    """ "²".isdigit() is true and int("²") raises: each of these guarded an int() so."""
    client.force_login(world.chair)
    if case.endswith("page"):
        name = {"run page": "admin:reviews_matchingrun_change",
                "job page": "admin:transfer_transferjob_change"}[case]  # fmt: skip
        assert client.get(reverse(name, args=["²"])).status_code == 404
    elif case == "programme csv":
        response = client.post(
            reverse("programme:csv", args=[world.workshop.slug]),
            {"text": f"{world.accepted[3].number},Posters,²"},
            follow=True,
        )
        assert response.status_code == 200
        assert "the order must be a whole number from 1" in response.content.decode()
    else:
        client.force_login(MembershipFactory(workshop=world.workshop, role=Role.REVIEWER).user)
        response = client.post(
            reverse("reviews:publication_add", args=[world.workshop.slug]),
            {"title": "A paper", "year": "²"},
        )
        assert response.status_code == 302


def test_a_search_number_beyond_the_float_range_is_a_search_error(client, world):
    from workshop.search import SearchContext, SearchError, search_compile

    with pytest.raises(SearchError, match="too large a number"):
        search_compile("reviews:>" + "9" * 400, SearchContext())
    client.force_login(world.chair)
    response = client.get(
        reverse("admin:submissions_submission_changelist"),
        {"workshop": world.workshop.pk, "q": "reviews:>" + "9" * 400},
        follow=True,
    )
    assert response.status_code == 200
    assert "too large a number" in response.content.decode()


@pytest.mark.parametrize("case", ["progress page", "mail preview", "decision save"])
def test_chair_pages_take_digits_that_int_refuses(client, world, case):
    client.force_login(world.chair)
    pk = world.workshop.pk
    if case == "progress page":
        url = reverse("admin:reviews_progress", args=[pk])
        assert client.get(url, {"p": "²", "rp": "²"}).status_code == 200
    elif case == "mail preview":
        url = reverse("admin:reviews_decision_mails", args=[pk])
        assert client.get(url, {"preview": "²"}).status_code == 200
    else:
        url = reverse("admin:reviews_decisions_save")
        response = client.post(url, {"workshop": pk, f"decision-{world.accepted[0].pk}": "²"})
        assert response.status_code in (200, 302)


@pytest.mark.parametrize("case", ["revision", "answer key", "comment parent"])
def test_reviewer_posts_take_digits_that_int_refuses(client, api_world, case):
    world = api_world.base
    enter_phase(world, "r")
    from workshop.models import User

    client.force_login(User.objects.get(pk=world.users["R2-draft"]))
    args = [world.a.slug, world.p.number]
    if case == "comment parent":
        response = client.post(
            reverse("reviews:comment", args=args), {"body": "A note.", "parent": "²"}
        )
        assert response.status_code in (200, 302, 400, 403)
        return
    data = {"revision": "²"} if case == "revision" else {"q_²": "x", "checkboxes": "q_²"}
    response = client.post(reverse("reviews:autosave", args=args), data)
    assert response.status_code in (200, 400, 409), response.content


def test_a_bare_carriage_return_separates_invitation_lines():
    """The fuzzer's 500: csv refused a bare CR inside pasted addresses."""
    from reviews.services.invitations import parse_invitation_rows

    rows, problems = parse_invitation_rows("a@example.org\rb@example.org")
    assert [r.email for r in rows] == ["a@example.org", "b@example.org"] and problems == []


@pytest.mark.django_db
def test_a_presenter_address_longer_than_any_address_is_refused():
    """The fuzzer's 500 on SQLite: a 100,000-character address made LIKE too complex."""
    from programme.services.presenters import presenter_choose
    from workshop.errors import ServiceError

    with pytest.raises(ServiceError, match="too long"):
        presenter_choose(actor=None, submission=None, email="a" * 100_000)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/reviews/decisionboard/?q=a%00b",
        "/admin/submissions/submission/?q=a%00b",
        "/admin/workshop/activity/?q=%00",
        "/?x%00=1",
    ],
)
def test_a_nul_in_a_query_string_is_a_400_not_a_500(client, url):
    """PostgreSQL refused the desk's search with a NUL in it ('A string literal cannot
    contain NUL'): a 500."""
    from tests.factories import WorkshopFactory, make_chair

    client.raise_request_exception = False
    client.force_login(make_chair(WorkshopFactory(slug="nul-query")))
    response = client.get(url)
    assert response.status_code == 400
