"""The permission matrix of the reviewing pages (DESIGN section 4, rules 1-5, 7-9).

Every role of the world (tests/reviews/conftest.py) tries every review page, download and
action on paper P. The matrix below is the specification: 12 roles x 10 actions = 120 cases,
one test each, with readable ids such as "R2-draft:GET paper".

Outcomes:
  ok           allowed: a GET answers 200; a POST has its effect (checked in the database)
  404          denied, indistinguishable from a paper that does not exist; nothing changes
  400          refused by a rule (the answer names it); nothing changes
  refused      refused by a rule: back to the paper with an error message; nothing changes
  login        anonymous: redirected to the sign-in page
  admin-login  not staff: redirected to the admin's sign-in page

Every allowed GET (page, PDF download with its file name and metadata, dashboard, admin)
is searched for every marker the role must not see: authors' names, emails and affiliations
(double-blind), other committee members' identities (only chairs see names), R2's draft,
R1's chairs-only answer, R1's submitted review, the discussion and the meta-review (each
only for those entitled), and papers the role has nothing to do with.
"""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from pypdf import PdfReader

from reviews.models import (
    Answer,
    Assignment,
    Comment,
    ConflictOverride,
    MetaReview,
    Review,
    ReviewVersion,
)
from tests.factories import MembershipFactory, UserFactory
from workshop.models import OtherReviewsVisibility, OutgoingMail, Role, Workshop

from .conftest import (
    AUTHOR_P,
    AUTHOR_Q,
    COMMENT,
    COMMITTEE_KEYS,
    CONFIDENTIAL,
    DRAFT,
    META,
    P_TITLE,
    Q_TITLE,
    R1_TEXT,
    ROLES,
    World,
    identity_markers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    """The world, built once for the ~140 cases of this module (tests/reviews/conftest.py
    `world_once`); each case gets its own copy and its writes are rolled back after it."""
    return world_once.checkout(settings, tmp_path / "world-media")


def _with_visibility(world: World, visibility: str) -> World:
    """The world as if its workshop had been created with `visibility` (nothing else in the
    world depends on it)."""
    Workshop.objects.filter(pk=world.workshop.pk).update(other_reviews_visibility=visibility)
    world.workshop.refresh_from_db()
    return world


# Columns: paper = GET paper page, pdf = GET paper.pdf (download), save = POST autosave,
# submit / decline / comment / meta = POST, dash = GET reviewer dashboard,
# progress = GET admin progress view, reviews = GET admin review changelist.
# Cells: ok, 404, 400, ref = refused, login, admin = admin-login (see the module docstring).
MATRIX_TABLE = """
role           |paper|pdf |save |submit|decline|comment|meta|dash|progress|reviews
anonymous      |login|login|login|login|login  |login  |login|login|admin  |admin
author-P       |404  |404 |404  |404   |404    |404    |404 |ok  |admin   |admin
author-Q       |404  |404 |404  |404   |404    |404    |404 |ok  |admin   |admin
R1-submitted   |ok   |ok  |400  |ok    |ref    |ok     |ref |ok  |admin   |admin
R2-draft       |ok   |ok  |ok   |ok    |ok     |ref    |ref |ok  |admin   |admin
R3-not-started |ok   |ok  |ok   |ok    |ok     |ref    |ref |ok  |admin   |admin
unassigned     |404  |404 |404  |404   |404    |404    |404 |ok  |admin   |admin
conflicted     |404  |404 |404  |404   |404    |404    |404 |ok  |admin   |admin
AC-of-P        |ok   |ok  |404  |404   |404    |ok     |ok  |ok  |admin   |admin
AC-of-Q        |404  |404 |404  |404   |404    |404    |404 |ok  |admin   |admin
chair-A        |ok   |ok  |404  |404   |404    |ok     |ok  |ok  |ok      |ok
chair-B        |404  |404 |404  |404   |404    |404    |404 |ok  |404     |ok
"""
COLUMN_NAMES = {
    "paper": "GET paper",
    "pdf": "GET paper.pdf",
    "save": "POST autosave",
    "submit": "POST submit",
    "decline": "POST decline",
    "comment": "POST comment",
    "meta": "POST meta",
    "dash": "GET dashboard",
    "progress": "GET admin progress",
    "reviews": "GET admin reviews",
}
OUTCOMES = {"ok": "ok", "404": "404", "400": "400", "ref": "refused", "login": "login",
            "admin": "admin-login"}  # fmt: skip


def _parse(table: str) -> tuple[list[str], dict[tuple[str, str], str]]:
    lines = [line for line in table.strip().splitlines() if line.strip()]
    columns = [COLUMN_NAMES[c.strip()] for c in lines[0].split("|")[1:]]
    matrix = {}
    for line in lines[1:]:
        role, *cells = [c.strip() for c in line.split("|")]
        assert len(cells) == len(columns), line
        for column, outcome in zip(columns, cells, strict=True):
            matrix[(role, column)] = OUTCOMES[outcome]
    return columns, matrix


COLUMNS, MATRIX = _parse(MATRIX_TABLE)
CASES = [(role, column) for role in ROLES for column in COLUMNS]
POSTED = "ZQMATRIXPOSTED"
SIGNATURES = {"R1-submitted": "Reviewer A", "AC-of-P": "Area chair", "chair-A": "Chair"}


def test_the_matrix_covers_every_role_and_action():
    """12 roles x 10 actions = 120 cases, every outcome one of the known kinds."""
    assert len(ROLES) == 12 and len(COLUMNS) == 10
    assert set(MATRIX) == set(CASES) and len(CASES) == 120
    assert set(MATRIX.values()) <= {"ok", "404", "400", "refused", "login", "admin-login"}
    print(f"\npermission matrix: {len(ROLES)} roles x {len(COLUMNS)} actions = {len(CASES)}")


# --- What each role must not see, and some of what it must see --------------------------------
def forbidden_markers(role: str) -> list[str]:
    """Every marker `role` must never get back (chairs of A see everything)."""
    if role == "chair-A":
        return []
    out: list[str] = []
    if role != "author-P":
        out += AUTHOR_P
    if role != "author-Q":
        out += AUTHOR_Q
    for key in COMMITTEE_KEYS:
        if key != role:
            out += identity_markers(key)
    if role != "R2-draft":
        out.append(DRAFT)
    if role != "R1-submitted":
        out.append(CONFIDENTIAL)
    if role not in ("R1-submitted", "AC-of-P"):
        out += [R1_TEXT, COMMENT]
    if role != "AC-of-P":
        out.append(META)
    if role not in ("author-P", "R1-submitted", "R2-draft", "R3-not-started", "AC-of-P"):
        out.append(P_TITLE)
    if role not in ("author-Q", "AC-of-Q"):
        out.append(Q_TITLE)
    return out


R1_NAME, R2_NAME = identity_markers("R1-submitted")[0], identity_markers("R2-draft")[0]
MUST_SEE = {
    ("R1-submitted", "GET paper"): [R1_TEXT, CONFIDENTIAL, COMMENT, "<strong>Reviewer A</strong>"],
    ("R2-draft", "GET paper"): [DRAFT, "<strong>Reviewer B</strong>", "once you have submitted"],
    ("R3-not-started", "GET paper"): ["<strong>Reviewer C</strong>", "once you have submitted"],
    ("AC-of-P", "GET paper"): [R1_TEXT, COMMENT, META, "<strong>Reviewer A</strong>"],
    ("chair-A", "GET paper"): [R1_TEXT, DRAFT, CONFIDENTIAL, COMMENT, META, R1_NAME, R2_NAME],
    ("R1-submitted", "GET dashboard"): [P_TITLE],
    ("R2-draft", "GET dashboard"): [P_TITLE],
    ("R3-not-started", "GET dashboard"): [P_TITLE],
    ("AC-of-P", "GET dashboard"): [P_TITLE],
    ("AC-of-Q", "GET dashboard"): [Q_TITLE],
    ("chair-A", "GET admin progress"): [R1_NAME, R2_NAME, P_TITLE],
    ("chair-A", "GET admin reviews"): [R1_NAME, R2_NAME],
}


def assert_no_markers(text: str, markers: list[str], where: str) -> None:
    lowered = text.lower()
    leaked = [m for m in markers if m.lower() in lowered]
    assert not leaked, f"{where} leaks {leaked}"


# --- Requests -----------------------------------------------------------------------------
def url_of(world: World, column: str) -> str:
    args = [world.workshop.slug, world.p.number]
    return {
        "GET paper": reverse("reviews:paper", args=args),
        "GET paper.pdf": reverse("reviews:paper_pdf", args=args) + "?download=1",
        "POST autosave": reverse("reviews:autosave", args=args),
        "POST submit": reverse("reviews:submit", args=args),
        "POST decline": reverse("reviews:decline", args=args),
        "POST comment": reverse("reviews:comment", args=args),
        "POST meta": reverse("reviews:meta", args=args),
        "GET dashboard": reverse("reviews:dashboard"),
        "GET admin progress": reverse("admin:reviews_progress", args=[world.workshop.pk]),
        "GET admin reviews": reverse("admin:reviews_review_changelist"),
    }[column]


def post_data(world: World, column: str) -> dict[str, str]:
    if column == "POST autosave":
        return {f"q_{world.q_id('Summary')}": f"{POSTED} autosaved"}
    if column == "POST submit":
        return world.post_data(Summary=f"{POSTED} submitted")
    if column == "POST decline":
        return {"reason": f"{POSTED}: no time this month"}
    if column == "POST comment":
        return {"body": f"{POSTED} in the discussion"}
    if column == "POST meta":
        return {"recommendation": "accept", "text": f"{POSTED} meta"}
    raise AssertionError(column)


def snapshot(world: World) -> tuple:
    """Everything a review action could change."""
    answers = sorted(
        Answer.objects.values_list("review_id", "question_id", "value"), key=lambda r: r[:2]
    )
    return (
        answers,
        sorted(Review.objects.values_list("pk", "status", "version", "submitted_at")),
        ReviewVersion.objects.count(),
        sorted(Assignment.objects.values_list("pk", "declined_at", "decline_reason")),
        sorted(Comment.objects.values_list("pk", "author_id", "body")),
        sorted(MetaReview.objects.values_list("pk", "author_id", "recommendation", "text")),
        OutgoingMail.objects.filter(kind__in=["assignment_declined", "discussion_comment"]).count(),
    )


def pdf_strings(data: bytes) -> str:
    """The raw bytes, the Info dictionary and the XMP packet of a PDF, as one string."""
    reader = PdfReader(io.BytesIO(data))
    parts = [data.decode("latin-1")]
    parts += [f"{k}={v}" for k, v in (reader.metadata or {}).items()]
    xmp = reader.root_object.get("/Metadata")
    if xmp is not None:
        parts.append(xmp.get_object().get_data().decode("utf-8", "replace"))
    for page in reader.pages:
        if "/Metadata" in page:
            parts.append(page["/Metadata"].get_object().get_data().decode("utf-8", "replace"))
    return "\n".join(parts)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(("role", "column"), CASES, ids=[f"{r}:{c}" for r, c in CASES])
def test_permission_matrix(client, world, role, column, django_capture_on_commit_callbacks):
    expected = MATRIX[(role, column)]
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    url = url_of(world, column)
    before = snapshot(world)
    with django_capture_on_commit_callbacks(execute=True):
        if column.startswith("POST"):
            response = client.post(url, post_data(world, column))
        else:
            response = client.get(url)
    paper_url = reverse("reviews:paper", args=[world.workshop.slug, world.p.number])

    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login") + "?next=")
    elif expected == "admin-login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login") + "?next=")
    elif expected == "404":
        assert response.status_code == 404
        markers = [P_TITLE, *forbidden_markers(role)]
        assert_no_markers(response.content.decode(), markers, "the 404 page")
    elif expected == "400":
        assert response.status_code == 400
        assert "Update the submitted review" in response.content.decode()
    elif expected == "refused":
        assert response.status_code == 302
        assert response["Location"].split("#")[0] == paper_url
        assert messages_of(response), "a refusal without a message"
    if expected != "ok":
        assert snapshot(world) == before, "a refused request changed something"
        return

    if column == "GET paper.pdf":
        _check_pdf(world, role, response)
    elif column.startswith("GET"):
        assert response.status_code == 200
        body = response.content.decode()
        assert_no_markers(body, forbidden_markers(role), f"{column} for {role}")
        for marker in MUST_SEE.get((role, column), []):
            assert marker in body, f"{column} for {role} does not show {marker!r}"
    else:
        _check_effect(world, role, column, response, paper_url)


def _check_pdf(world: World, role: str, response) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="wsa-paper-{world.p.number}.pdf"'
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF")
    with world.p.paper.reviewer_copy.open("rb") as fh:
        assert data == fh.read(), "not the reviewer copy"
    assert_no_markers(pdf_strings(data), forbidden_markers(role), f"the PDF for {role}")
    # The original does carry the markers, so the check above can fail.
    with world.p.paper.file.open("rb") as fh:
        assert "ZQAUTHORNAME" in pdf_strings(fh.read())


def _check_effect(world: World, role: str, column: str, response, paper_url: str) -> None:
    user = world.users[role]
    if column == "POST autosave":
        assert response.status_code == 200
        assert "Draft saved at" in response.content.decode()
        assert world.answer(role, "Summary") == f"{POSTED} autosaved"
        assert world.review_of(role).status == "draft"
    elif column == "POST submit":
        assert response.status_code == 302 and response["Location"] == paper_url
        review = world.review_of(role)
        assert review.status == "submitted"
        assert review.version == (2 if role == "R1-submitted" else 1)
        assert world.answer(role, "Summary") == f"{POSTED} submitted"
    elif column == "POST decline":
        assert response.status_code == 302
        assert response["Location"] == reverse("reviews:dashboard")
        assignment = Assignment.objects.get(pk=world.assignments[role].pk)
        assert assignment.declined_at is not None
        assert assignment.decline_reason == f"{POSTED}: no time this month"
        assert OutgoingMail.objects.filter(kind="assignment_declined").count() == 1
    elif column == "POST comment":
        assert response.status_code == 302
        assert response["Location"] == f"{paper_url}#discussion"
        comment = Comment.objects.get(body=f"{POSTED} in the discussion")
        assert (comment.author, comment.signature) == (user, SIGNATURES[role])
    elif column == "POST meta":
        assert response.status_code == 302 and response["Location"] == paper_url
        meta = MetaReview.objects.get(submission=world.p)
        assert (meta.author, meta.recommendation, meta.text) == (user, "accept", f"{POSTED} meta")
    else:
        raise AssertionError(column)


# --- Rule 5: when a reviewer sees the other reviews ------------------------------------------
def _paper(client, world: World, role: str) -> str:
    client.force_login(world.users[role])
    response = client.get(reverse("reviews:paper", args=[world.workshop.slug, world.p.number]))
    assert response.status_code == 200
    return response.content.decode()


def _submit(client, world: World, role: str, **answers: object) -> None:
    client.force_login(world.users[role])
    url = reverse("reviews:submit", args=[world.workshop.slug, world.p.number])
    response = client.post(url, world.post_data(**answers))
    assert response.status_code == 302
    assert world.review_of(role).status == "submitted"


def _article(html: str, pseudonym: str) -> str:
    start = html.index(f'id="review-{pseudonym}"')
    return html[start : html.index("</article>", start)]


@pytest.mark.parametrize("role", ["R2-draft", "R3-not-started"])
def test_after_own_other_reviews_hidden_before_and_shown_after_submitting(client, world, role):
    before = _paper(client, world, role)
    assert R1_TEXT not in before
    assert 'id="review-A"' not in before
    assert "The other reviews appear here once you have submitted yours." in before

    _submit(client, world, role, Summary="My own summary ZQOWNTEXT")
    after = _paper(client, world, role)
    r1 = _article(after, "A")
    assert "<strong>Reviewer A</strong>" in r1 and R1_TEXT in r1
    assert "Confidence" in r1 and "(committee only)" in r1  # the committee-only answer
    assert CONFIDENTIAL not in after  # chairs-only, even once the others are visible
    now_visible = (R1_TEXT, COMMENT)
    still_hidden = [m for m in forbidden_markers(role) if m not in now_visible]
    assert DRAFT in still_hidden or role == "R2-draft"
    assert_no_markers(after, still_hidden, "after submitting")
    assert COMMENT in after  # the discussion is open to them now


def test_a_draft_of_another_reviewer_stays_hidden_after_submitting(client, world):
    _submit(client, world, "R3-not-started")
    html = _paper(client, world, "R3-not-started")
    assert 'id="review-A"' in html
    assert DRAFT not in html and 'id="review-B"' not in html


def test_never_keeps_other_reviews_hidden_even_after_submitting(client, world):
    world = _with_visibility(world, OtherReviewsVisibility.NEVER)
    _submit(client, world, "R3-not-started", Summary="ZQR3SUBMITTEDTEXT")
    for role, other_text in (("R3-not-started", R1_TEXT), ("R1-submitted", "ZQR3SUBMITTEDTEXT")):
        html = _paper(client, world, role)
        assert "The chairs keep the reviews of others hidden for this workshop." in html
        assert 'id="review-A"' not in html and 'id="review-C"' not in html
        assert other_text not in html
    # The area chair and the chairs still see every submitted review (rule 9).
    for role in ("AC-of-P", "chair-A"):
        html = _paper(client, world, role)
        assert R1_TEXT in html and 'id="review-C"' in html


def test_always_shows_other_reviews_before_writing_one(client, world):
    world = _with_visibility(world, OtherReviewsVisibility.ALWAYS)
    html = _paper(client, world, "R3-not-started")
    assert R1_TEXT in _article(html, "A")
    assert_no_markers(html, [DRAFT, CONFIDENTIAL, *identity_markers("R1-submitted"),
                             *identity_markers("R2-draft"), *AUTHOR_P], "always")  # fmt: skip
    assert COMMENT not in html  # the discussion still waits for one's own review


# --- Rule 9: the area chair -------------------------------------------------------------------
def test_area_chair_sees_all_submitted_reviews_without_writing_one_and_saves_a_meta_review(
    client, world
):
    _submit(client, world, "R3-not-started", Summary="ZQR3SUBMITTEDTEXT")
    html = _paper(client, world, "AC-of-P")
    assert 'id="review-form"' not in html  # no editor: the area chair writes no review
    assert R1_TEXT in _article(html, "A")
    assert "ZQR3SUBMITTEDTEXT" in _article(html, "C")
    assert_no_markers(html, forbidden_markers("AC-of-P"), "the area chair's page")

    client.force_login(world.users["AC-of-P"])
    url = reverse("reviews:meta", args=[world.workshop.slug, world.p.number])
    response = client.post(url, {"recommendation": "borderline", "text": "ZQNEWMETA $x$"})
    assert response.status_code == 302
    meta = MetaReview.objects.get(submission=world.p)
    assert (meta.author, meta.recommendation) == (world.users["AC-of-P"], "borderline")
    assert "ZQNEWMETA" in _paper(client, world, "AC-of-P")
    chair_view = _paper(client, world, "chair-A")
    assert "ZQNEWMETA" in chair_view and "Borderline" in chair_view
    assert "ZQACPNAME" in chair_view  # chairs see who wrote it


def test_area_chair_of_another_paper_gets_404_on_every_url_of_p(client, world):
    client.force_login(world.users["AC-of-Q"])
    for column in ("GET paper", "GET paper.pdf"):
        assert client.get(url_of(world, column)).status_code == 404
    # ... while their own paper opens.
    own = reverse("reviews:paper", args=[world.workshop.slug, world.q.number])
    assert client.get(own).status_code == 200


# --- Denied looks like missing (ids leak nothing) ----------------------------------------------
@pytest.mark.parametrize("role", ["author-P", "unassigned", "conflicted", "AC-of-Q", "chair-B"])
def test_a_denied_paper_looks_exactly_like_a_missing_one(client, world, role):
    client.force_login(world.users[role])
    slug = world.workshop.slug
    for name in ("reviews:paper", "reviews:paper_pdf"):
        denied = client.get(reverse(name, args=[slug, world.p.number]))
        missing = client.get(reverse(name, args=[slug, 987]))
        assert denied.status_code == missing.status_code == 404
        assert _without_csrf(denied.content) == _without_csrf(missing.content)


def _without_csrf(content: bytes) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", content.decode())


# --- Rule 4: a conflict hides an assigned paper everywhere -------------------------------------
@pytest.fixture
def assigned_then_conflicted(world):
    """A reviewer assigned to P on whom the chair then sets a conflict."""
    user = UserFactory(name="ZQLATECONFLICT Lou", email="lou@lou-lab.org")
    MembershipFactory(workshop=world.workshop, user=user, role=Role.REVIEWER)
    Assignment.objects.create(submission=world.p, reviewer=user, role=Role.REVIEWER,
                              pseudonym="D")  # fmt: skip
    ConflictOverride.objects.create(
        submission=world.p, user=user, conflicted=True, reason="Former student",
        set_by=world.users["chair-A"],
    )  # fmt: skip
    return user


def test_an_assigned_reviewer_with_a_conflict_gets_404_on_the_paper(
    client, world, assigned_then_conflicted
):
    client.force_login(assigned_then_conflicted)
    for column in ("GET paper", "GET paper.pdf", "POST comment"):
        response = (client.post if column.startswith("POST") else client.get)(
            url_of(world, column), {"body": "x"} if column.startswith("POST") else None
        )
        assert response.status_code == 404, column


def test_an_assigned_reviewer_with_a_conflict_does_not_see_the_paper_on_the_dashboard(
    client, world, assigned_then_conflicted
):
    client.force_login(assigned_then_conflicted)
    dashboard = client.get(reverse("reviews:dashboard"))
    assert dashboard.status_code == 200
    assert P_TITLE not in dashboard.content.decode()
    # Lifting the conflict brings the paper back: the check above can fail.
    ConflictOverride.objects.filter(user=assigned_then_conflicted).delete()
    assert P_TITLE in client.get(reverse("reviews:dashboard")).content.decode()


@pytest.mark.parametrize("column", ["POST autosave", "POST submit", "POST decline"])
def test_an_assigned_reviewer_with_a_conflict_cannot_write_to_the_paper(
    client, world, assigned_then_conflicted, column
):
    client.force_login(assigned_then_conflicted)
    before = snapshot(world)
    response = client.post(url_of(world, column), post_data(world, column))
    assert response.status_code == 404, column
    assert snapshot(world) == before


# --- One world per module, one copy per case ---------------------------------------------------
@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_case_starts_from_the_world_as_built(client, world, turn):
    """Whichever of the two runs second finds what the first changed gone: the rows (the
    savepoint rolled back), the Python objects (a deep copy) and the files (a copy)."""
    assert world.review_of("R3-not-started") is None
    assert world.workshop.other_reviews_visibility == OtherReviewsVisibility.AFTER_OWN
    assert Comment.objects.filter(submission=world.p).count() == 1
    assert world.p.title.startswith(P_TITLE)
    reviewer_copy = world.p.paper.reviewer_copy
    assert reviewer_copy.storage.exists(reviewer_copy.name)

    _submit(client, world, "R3-not-started", Summary=f"ZQTURN {turn}")
    _with_visibility(world, OtherReviewsVisibility.NEVER)
    world.p.title = "changed in memory"
    reviewer_copy.storage.delete(reviewer_copy.name)
