"""Assignment around the engine: the instance built from the database, the chair's runs in
the admin (run, watch, preview, compare, commit, cancel), scoping, and manual assignment.

The engine itself (reviews/matching) is tested in test_matching.py; here it is only a black
box whose inputs (affinity, forbidden, locked, loads) and committed output are checked.

Addresses use distinct institutional domains on purpose: the shared factory's addresses all
live under example.edu, which is itself a domain conflict. Author names and addresses carry
MARK so that a test can prove no author identity reaches a reviewer's mail.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from reviews.balance import balance_of
from reviews.models import (
    Assignment,
    Bid,
    BidValue,
    ExpertiseLevel,
    MatchingRun,
    Review,
    RunStatus,
)
from reviews.selectors.matching import matching_input
from reviews.services import assignment as assignment_services
from reviews.services.committee import conflict_override_set
from submissions.models import Authorship, SubmissionStatus
from tests.factories import (
    MembershipFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from workshop.models import Activity, OutgoingMail, Role, Workshop
from workshop.phases import AOE

from .assignment_world import MARK, RUN_ADD, RUN_PAGE, member, paper, run_data, start_run

pytestmark = pytest.mark.django_db

PROGRESS = "admin:reviews_run_progress"
CANCEL = "admin:reviews_run_cancel"
COMMIT = "admin:reviews_run_commit"
COMPARE = "admin:reviews_run_compare"
ASSIGN = "admin:reviews_assignment_add"
ASSIGNMENTS = "admin:reviews_assignment_changelist"
CONFIRMED = {"during_bidding": "1"}  # "Bidding closes ...; commit anyway" (the fixture bids)
MINUS = "\u2212"  # the preview writes "+N / \u2212M"


# --------------------------------------------------------------------------- helpers


def bid(sub, user, value) -> None:
    Bid.objects.create(submission=sub, user=user, value=value)


def aff(inst, sub, user) -> float:
    return float(inst.affinity[inst.paper_index()[sub.pk], inst.reviewer_index()[user.pk]])


def forbidden_pairs(inst) -> set[tuple[int, int]]:
    return {
        (inst.papers[i].pk, inst.reviewers[j].pk)
        for i, j in zip(*inst.forbidden.nonzero(), strict=True)
    }


def locked_pairs(inst) -> set[tuple[int, int]]:
    return {(inst.papers[i].pk, inst.reviewers[j].pk) for i, j in inst.locked}


def pairs_of(run) -> set[tuple[int, int]]:
    return {(s, u) for s, u, _ in run.result["pairs"]}


def assigned() -> set[tuple[int, int]]:
    return set(
        Assignment.objects.filter(role=Role.REVIEWER).values_list("submission_id", "reviewer_id")
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --------------------------------------------------------------------------- the instance


def test_bids_order_the_affinity_eager_willing_neutral_not_willing(workshop, owner):
    sub = paper(workshop, owner, "A paper")
    values = [BidValue.EAGER, BidValue.WILLING, BidValue.NEUTRAL, None, BidValue.NOT_WILLING]
    users = [member(workshop, f"r{i}", f"Reviewer {i}") for i in range(len(values))]
    for user, value in zip(users, values, strict=True):
        if value:
            bid(sub, user, value)
    inst = matching_input(workshop)
    scores = [aff(inst, sub, u) for u in users]
    assert scores[0] > scores[1] > scores[2] > scores[4]
    assert scores[2] == scores[3] == 0.0  # neutral is no bid
    assert scores[0] == pytest.approx(1.0) and scores[4] == pytest.approx(-1.0)


def test_topic_expertise_raises_affinity_by_level_and_secondary_topics(workshop, owner):
    sub = paper(workshop, owner, "A paper", topic="Evaluation", secondary=["Data"])
    other = paper(workshop, owner, "Another paper", topic="Scale")
    expert = member(workshop, "ex", "Expert", levels={"Evaluation": ExpertiseLevel.EXPERT})
    knows = member(workshop, "kn", "Knows", levels={"Evaluation": ExpertiseLevel.KNOWLEDGEABLE})
    secondary = member(workshop, "se", "Secondary", levels={"Data": ExpertiseLevel.EXPERT})
    none = member(workshop, "no", "Nothing", levels={"Evaluation": ExpertiseLevel.NONE})
    inst = matching_input(workshop)
    assert aff(inst, sub, expert) > aff(inst, sub, knows) > aff(inst, sub, none) == 0.0
    assert aff(inst, sub, secondary) > 0.0
    # Expertise in the paper's topics only: none of them fits the Scale paper.
    assert [aff(inst, other, u) for u in (expert, knows, secondary, none)] == [0.0] * 4


def test_text_similarity_prefers_the_paper_close_to_the_expertise_text(workshop, owner):
    contamination = paper(
        workshop,
        owner,
        "Contamination audits for open benchmark suites",
        keywords="contamination, benchmarks",
        abstract="Benchmark contamination inflates leaderboard scores of open models.",
    )
    tokenizers = paper(
        workshop,
        owner,
        "Tokenizer drift in multilingual open models",
        keywords="tokenizers, multilinguality",
        topic="Data",
        abstract="Tokenizers trained on English fragment other scripts.",
    )
    auditor = member(
        workshop,
        "au",
        "Auditor",
        text="Detecting benchmark contamination.\nAuditing benchmark suites for contamination.",
    )
    linguist = member(
        workshop,
        "li",
        "Linguist",
        text="Multilingual tokenizers and their drift.\nTokenizer fertility across scripts.",
    )
    inst = matching_input(workshop)
    assert aff(inst, contamination, auditor) > aff(inst, tokenizers, auditor) >= 0.0
    assert aff(inst, tokenizers, linguist) > aff(inst, contamination, linguist) >= 0.0
    assert aff(inst, contamination, auditor) > aff(inst, contamination, linguist)
    text_only = matching_input(workshop, {"bid": 0.0, "topic": 0.0, "text": 1.0})
    assert 0.0 < aff(text_only, contamination, auditor) <= 1.0


def test_weights_change_the_ranking(workshop, owner):
    sub = paper(workshop, owner, "A paper", topic="Evaluation")
    eager = member(workshop, "ea", "Eager Bidder")
    bid(sub, eager, BidValue.EAGER)
    expert = member(workshop, "ex", "Topic Expert", levels={"Evaluation": ExpertiseLevel.EXPERT})
    default = matching_input(workshop)
    assert aff(default, sub, eager) > aff(default, sub, expert) > 0.0
    no_bids = matching_input(workshop, {"bid": 0.0})
    assert aff(no_bids, sub, eager) == 0.0
    assert aff(no_bids, sub, expert) == pytest.approx(aff(default, sub, expert))
    assert aff(no_bids, sub, expert) > aff(no_bids, sub, eager)
    no_topics = matching_input(workshop, {"topic": 0.0})
    assert aff(no_topics, sub, expert) == 0.0
    heavy_topics = matching_input(workshop, {"topic": 4.0})
    assert aff(heavy_topics, sub, expert) > aff(heavy_topics, sub, eager)


def test_a_reviewer_without_expertise_text_falls_back_to_topics_and_bids(workshop, owner):
    sub = paper(
        workshop,
        owner,
        "Contamination audits for open benchmark suites",
        keywords="contamination, benchmarks",
    )
    blank = member(workshop, "bl", "Blank Text", text="", levels={"Evaluation": "expert"})
    noprofile = member(workshop, "np", "No Profile")
    writer = member(workshop, "wr", "Writer", text="Benchmark contamination audits.")
    bid(sub, blank, BidValue.EAGER)
    text_only = matching_input(workshop, {"bid": 0.0, "topic": 0.0, "text": 1.0})
    assert aff(text_only, sub, blank) == 0.0
    assert aff(text_only, sub, noprofile) == 0.0
    assert aff(text_only, sub, writer) > 0.0
    default = matching_input(workshop)
    # bid 1 x weight 1 + topic 1 x weight 0.5 + nothing from text
    assert aff(default, sub, blank) == pytest.approx(1.5)
    assert aff(default, sub, noprofile) == 0.0


def test_conflicts_from_the_selector_become_forbidden(workshop, owner, chair):
    rita = member(workshop, "rita", "Rita Author-Reviewer")
    dan = member(workshop, "dan", "Dan Domain", email="dan@dlab.org")
    cory = member(workshop, "cory", "Cory Chairset")
    eve = member(workshop, "eve", "Eve Lifted", email="eve@elab.org")
    own = paper(workshop, owner, "Rita's own", authors=[("Rita R.", "rita@rita-lab.org")])
    same_domain = paper(workshop, owner, "Kim's", authors=[("Kim K.", "kim@dlab.org")])
    set_by_chair = paper(workshop, owner, "Chair-set")
    lifted = paper(workshop, owner, "Lifted", authors=[("Lou L.", "lou@elab.org")])
    conflict_override_set(
        submission=set_by_chair, user=cory, conflicted=True, reason="Former student", chair=chair
    )
    conflict_override_set(
        submission=lifted, user=eve, conflicted=False, reason="Different campus", chair=chair
    )
    conflict_override_set(
        submission=own, user=rita, conflicted=False, reason="Cannot be lifted", chair=chair
    )
    for sub in (own, same_domain, set_by_chair, lifted):  # a high bid changes nothing
        for user in (rita, dan, cory, eve):
            bid(sub, user, BidValue.EAGER)
    inst = matching_input(workshop)
    assert forbidden_pairs(inst) == {
        (own.pk, rita.pk),
        (same_domain.pk, dan.pk),
        (set_by_chair.pk, cory.pk),
    }
    reasons = {
        (inst.papers[i].pk, inst.reviewers[j].pk): r for (i, j), r in inst.conflict_reasons.items()
    }
    assert "authorship" in reasons[(own.pk, rita.pk)]
    assert "domain" in reasons[(same_domain.pk, dan.pk)]
    assert "chair" in reasons[(set_by_chair.pk, cory.pk)]


def test_locked_and_started_assignments_are_locked_declined_ones_forbidden(workshop, owner):
    a, b, c, d = (paper(workshop, owner, f"Paper {i}") for i in range(4))
    rev = member(workshop, "rev", "Rev One")
    Assignment.objects.create(submission=a, reviewer=rev, locked=True)
    started = Assignment.objects.create(submission=b, reviewer=rev)
    Review.objects.create(assignment=started)
    Assignment.objects.create(submission=c, reviewer=rev)  # plain: the run may drop it
    Assignment.objects.create(
        submission=d, reviewer=rev, locked=True, declined_at=timezone.now(), decline_reason="No"
    )
    inst = matching_input(workshop)
    assert locked_pairs(inst) == {(a.pk, rev.pk), (b.pk, rev.pk)}
    assert forbidden_pairs(inst) == {(d.pk, rev.pk)}


def test_max_load_follows_the_profile_and_approved_lower_requests(workshop, owner):
    paper(workshop, owner, "A paper")
    approved = member(workshop, "ap", "Approved", requested=1, approved=True)
    pending = member(workshop, "pe", "Pending", requested=1, approved=False)
    higher = member(workshop, "hi", "Higher", requested=9, approved=True)
    noprofile = member(workshop, "np", "No Profile")
    inst = matching_input(workshop)
    loads = dict(zip([u.pk for u in inst.reviewers], inst.max_load.tolist(), strict=True))
    assert loads == {approved.pk: 1, pending.pk: 3, higher.pk: 3, noprofile.pk: 3}


def test_only_submitted_papers_and_reviewers_are_in_the_instance(workshop, owner, chair):
    sub = paper(workshop, owner, "Under review")
    paper(workshop, owner, "A draft", status=SubmissionStatus.DRAFT)
    paper(workshop, owner, "Withdrawn", status=SubmissionStatus.WITHDRAWN)
    rev = member(workshop, "rev", "Rev One")
    ac = UserFactory(email="ac@ac-lab.org", name="Area Chair")
    MembershipFactory(workshop=workshop, user=ac, role=Role.AREA_CHAIR)
    inst = matching_input(workshop)
    assert [p.pk for p in inst.papers] == [sub.pk]
    assert [u.pk for u in inst.reviewers] == [rev.pk]


# --------------------------------------------------------------------------- the chair's flow


@pytest.fixture
def committee(workshop, owner, chair):
    """Four papers, six reviewers, three conflicts, one reviewer with an approved load of 1."""
    p1 = paper(
        workshop,
        owner,
        "Contamination audits for open benchmark suites",
        keywords="contamination, benchmarks",
    )
    p2 = paper(
        workshop,
        owner,
        "Tokenizer drift in multilingual open models",
        topic="Data",
        keywords="tokenizers",
        authors=[(f"Kim {MARK}", "kim@dlab.org")],
    )
    p3 = paper(
        workshop,
        owner,
        "Quantised inference on commodity laptops",
        topic="Scale",
        keywords="quantisation, inference",
    )
    rita = member(
        workshop,
        "rita",
        "Rita Reviewer",
        levels={"Evaluation": "expert"},
        text="Benchmark contamination. Reproducible judges.",
    )
    p4 = paper(
        workshop,
        owner,
        "Reproducible seeds for LLM-as-a-judge harnesses",
        keywords="judges, seeds",
        authors=[
            (f"Zoe {MARK}", f"zoe@{MARK.lower()}.net"),
            ("Rita Reviewer", "rita@rita-lab.org"),
        ],
    )
    ana = member(workshop, "ana", "Ana Analyst", levels={"Evaluation": "expert", "Data": "none"})
    dan = member(workshop, "dan", "Dan Domain", email="dan@dlab.org")
    cory = member(workshop, "cory", "Cory Conflict")
    lena = member(workshop, "lena", "Lena Limited", requested=1, approved=True)
    max_ = member(workshop, "max", "Max Plain")
    conflict_override_set(
        submission=p1, user=cory, conflicted=True, reason="Same lab last year", chair=chair
    )
    for sub in (p1, p2, p3, p4):
        bid(sub, lena, BidValue.EAGER)  # she would take three without her approved limit
    bid(p4, rita, BidValue.EAGER)  # her own paper: forbidden whatever she bids
    bid(p2, dan, BidValue.EAGER)  # the same domain as Kim
    bid(p1, cory, BidValue.EAGER)  # a conflict set by the chair
    bid(p1, ana, BidValue.EAGER)
    bid(p3, max_, BidValue.WILLING)
    return SimpleNamespace(
        papers=[p1, p2, p3, p4],
        reviewers=[rita, ana, dan, cory, lena, max_],
        rita=rita,
        ana=ana,
        dan=dan,
        cory=cory,
        lena=lena,
        max=max_,
        forbidden={(p4.pk, rita.pk), (p2.pk, dan.pk), (p1.pk, cory.pk)},
        max_load={rita.pk: 3, ana.pk: 3, dan.pk: 3, cory.pk: 3, lena.pk: 1, max_.pk: 3},
    )


def check_assignment_is_valid(committee, pairs) -> None:
    per_paper = Counter(s for s, _ in pairs)
    assert per_paper == {p.pk: 2 for p in committee.papers}
    per_reviewer = Counter(u for _, u in pairs)
    assert all(per_reviewer[u] <= m for u, m in committee.max_load.items()), per_reviewer
    assert per_reviewer[committee.lena.pk] == 1
    assert not pairs & committee.forbidden
    authors = set(Authorship.objects.values_list("submission_id", "email"))
    emails = {u.pk: u.email for u in committee.reviewers}
    assert not {(s, emails[u]) for s, u in pairs} & authors


def test_chair_runs_previews_compares_and_commits(client, workshop, chair, committee):
    client.force_login(chair)
    form = client.get(reverse(RUN_ADD))
    assert form.status_code == 200
    html = form.content.decode()
    for label in ("Best total fit", "Fair: raise the worst-served paper", "Randomized"):
        assert label in html
    assert f'<option value="{workshop.pk}" selected>' in html
    assert 'name="reviews_per_paper" value="2"' in html  # the workshop's own setting

    best = start_run(client, workshop, "max_total")
    best.refresh_from_db()
    assert best.status == RunStatus.DONE and best.progress == 100
    assert best.created_by == chair and best.parameters["reviews_per_paper"] == 2
    assert best.result["feasible"] and best.result["status"] == "optimal"
    check_assignment_is_valid(committee, pairs_of(best))
    assert not Assignment.objects.exists()  # nothing is assigned before the commit

    page = client.get(reverse(RUN_PAGE, args=[best.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    r = best.result
    assert "Ready for review" in html
    assert f"Total fit<strong>{r['total']}</strong>" in html
    assert f"Mean fit per review<strong>{r['mean']}</strong>" in html
    assert f"Worst-served paper<strong>{r['min_paper_sum']}</strong>" in html
    assert "Reviews assigned<strong>8</strong>" in html
    assert f"+8 / {MINUS}0" in html  # nothing assigned yet: everything is added
    assert "cannot be solved" not in html
    worst = html.split("<h2>Worst-served papers</h2>", 1)[1].split("</table>", 1)[0]
    for p in committee.papers:
        assert f"#{p.number} {p.title}" in worst
    assert sum(h["count"] for h in r["histogram"]) == 4
    histogram = html.split("<h2>Per-paper fit</h2>", 1)[1].split("</table>", 1)[0]
    assert histogram.count('class="bar"') == len(r["histogram"]) >= 1
    loads = Counter(u for _, u in pairs_of(best))
    for user in committee.reviewers:
        row = f"<tr><td>{user.name}</td><td>{loads[user.pk]}</td>"
        assert f"{row}<td>{committee.max_load[user.pk]}</td></tr>" in html
    assert MARK.lower() not in html.lower()  # the chairs' preview shows reviewers, not authors
    assert reverse(COMMIT, args=[best.pk]) in html

    fair = start_run(client, workshop, "fair")
    fair.refresh_from_db()
    assert fair.status == RunStatus.DONE and fair.result["feasible"]
    check_assignment_is_valid(committee, pairs_of(fair))
    assert fair.result["min_paper_sum"] >= best.result["min_paper_sum"] - 1e-9
    assert fair.result["total"] <= best.result["total"] + 1e-9
    fair_html = client.get(reverse(RUN_PAGE, args=[fair.pk])).content.decode()
    assert "Best possible worst paper (bound)" in fair_html
    assert f'<option value="{best.pk}">' in fair_html  # the compare picker offers run 1

    randomized = start_run(client, workshop, "randomized", prob_cap=0.5, seed=7)
    randomized.refresh_from_db()
    assert randomized.status == RunStatus.DONE
    assert randomized.parameters["prob_cap"] == 0.5 and randomized.parameters["seed"] == 7
    check_assignment_is_valid(committee, pairs_of(randomized))
    assert 0 < randomized.result["max_probability"] <= 0.5
    rand_html = client.get(reverse(RUN_PAGE, args=[randomized.pk])).content.decode()
    assert "Largest pair probability" in rand_html and "cap 0.5, seed 7" in rand_html

    compare = client.get(reverse(COMPARE), {"a": best.pk, "b": fair.pk})
    assert compare.status_code == 200
    html = compare.content.decode()
    a_pairs, b_pairs = pairs_of(best), pairs_of(fair)
    for label, left, right in (
        ("Mode", "Best total fit (exact)", "Fair: raise the worst-served paper first"),
        ("Total fit", best.result["total"], fair.result["total"]),
        ("Worst-served paper", best.result["min_paper_sum"], fair.result["min_paper_sum"]),
        ("Reviews assigned", 8, 8),
    ):
        assert f"<tr><th>{label}</th><td>{left}</td><td>{right}</td></tr>" in html
    assert f"Pairs in both runs: <strong>{len(a_pairs & b_pairs)}</strong>" in html
    assert f"only in run {best.pk}: <strong>{len(a_pairs - b_pairs)}</strong>" in html
    assert f"only in run {fair.pk}: <strong>{len(b_pairs - a_pairs)}</strong>" in html
    assert not Assignment.objects.exists()

    # Commit the best-total run.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse(COMMIT, args=[best.pk]), CONFIRMED, follow=True)
    assert response.redirect_chain[-1][0] == reverse(RUN_PAGE, args=[best.pk])
    reviewers_with_papers = {u for _, u in a_pairs}
    assert (
        f"Assignment committed: 8 added, 0 removed; {len(reviewers_with_papers)} reviewers "
        "notified." in messages_of(response)
    )
    best.refresh_from_db()
    assert best.status == RunStatus.COMMITTED and best.committed_at is not None
    assert "<strong>Committed</strong>" in response.content.decode()
    assert assigned() == a_pairs
    check_assignment_is_valid(committee, assigned())
    for p in committee.papers:
        names = sorted(Assignment.objects.filter(submission=p).values_list("pseudonym", flat=True))
        assert names == ["A", "B"]

    # One mail per reviewer, listing their papers by number and title, no author identity.
    mails = list(OutgoingMail.objects.filter(kind="assignment_notice"))
    assert Counter(m.to for m in mails) == {
        u.email: 1 for u in committee.reviewers if u.pk in reviewers_with_papers
    }
    by_pk = {p.pk: p for p in committee.papers}
    author_emails = set(Authorship.objects.values_list("email", flat=True))
    for mail in mails:
        mine = {s for s, u in a_pairs if u == mail.recipient_id}
        assert mail.workshop == workshop
        for sid, p in by_pk.items():
            assert (f"#{p.number}  {p.title}" in mail.body_text) == (sid in mine), mail.body_text
        everything = f"{mail.subject}\n{mail.body_text}\n{mail.body_html}".lower()
        assert MARK.lower() not in everything
        assert not [e for e in author_emails if e in everything]
        assert "kim" not in everything and "zoe" not in everything

    # Committing again does nothing more.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse(COMMIT, args=[best.pk]), CONFIRMED, follow=True)
    assert "This run is committed: nothing to commit." in messages_of(response)
    assert assigned() == a_pairs and Assignment.objects.count() == 8
    assert OutgoingMail.objects.filter(kind="assignment_notice").count() == len(mails)

    # The fair run started from the empty assignment: its preview is out of date now.
    response = client.post(reverse(COMMIT, args=[fair.pk]), CONFIRMED, follow=True)
    assert any("changed since this run started" in m for m in messages_of(response))
    fair.refresh_from_db()
    assert fair.status == RunStatus.DONE
    assert assigned() == a_pairs


def test_commit_is_refused_when_someone_assigned_by_hand_after_the_run(
    client, workshop, chair, committee
):
    client.force_login(chair)
    run = start_run(client, workshop)
    assert MatchingRun.objects.get(pk=run.pk).status == RunStatus.DONE
    p3 = committee.papers[2]
    response = client.post(reverse(ASSIGN), {"submission": p3.pk, "reviewer": committee.max.pk})
    assert response.status_code == 302
    assert assigned() == {(p3.pk, committee.max.pk)}
    mails = OutgoingMail.objects.count()

    response = client.post(reverse(COMMIT, args=[run.pk]), CONFIRMED, follow=True)
    assert (
        "The assignment changed since this run started, so its preview is out of date. "
        "Run it again." in messages_of(response)
    )
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.committed_at is None
    assert assigned() == {(p3.pk, committee.max.pk)}
    assert OutgoingMail.objects.count() == mails


def test_a_run_keeps_locked_and_started_assignments_and_drops_an_unwanted_one(
    client, workshop, chair, committee
):
    p1, p2, p3, _ = committee.papers
    max_ = committee.max
    for sub in (p1, p2, p3):
        Bid.objects.update_or_create(
            submission=sub, user=max_, defaults={"value": BidValue.NOT_WILLING}
        )
    Assignment.objects.create(submission=p1, reviewer=max_, pseudonym="A")  # unwanted: dropped
    Assignment.objects.create(submission=p2, reviewer=max_, locked=True, pseudonym="A")
    started = Assignment.objects.create(submission=p3, reviewer=max_, pseudonym="A")
    Review.objects.create(assignment=started)
    before = assigned()

    client.force_login(chair)
    run = start_run(client, workshop)
    run.refresh_from_db()
    proposed = pairs_of(run)
    assert {(p2.pk, max_.pk), (p3.pk, max_.pk)} <= proposed
    assert (p1.pk, max_.pk) not in proposed
    assert (run.result["added"], run.result["removed"], run.result["kept"]) == (6, 1, 2)
    html = client.get(reverse(RUN_PAGE, args=[run.pk])).content.decode()
    assert f"+6 / {MINUS}1</strong>2 kept" in html

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse(COMMIT, args=[run.pk]), CONFIRMED, follow=True)
    assert any(
        m.startswith("Assignment committed: 6 added, 1 removed") for m in messages_of(response)
    )
    assert assigned() == proposed and not before - proposed - {(p1.pk, max_.pk)}
    assert Assignment.objects.get(submission=p2, reviewer=max_).locked
    assert Assignment.objects.filter(review__isnull=False).get().pk == started.pk
    check_assignment_is_valid(committee, assigned())
    for p in committee.papers:  # pseudonyms stay stable and distinct per paper
        names = list(Assignment.objects.filter(submission=p).values_list("pseudonym", flat=True))
        assert len(set(names)) == 2 and "" not in names
    assert Assignment.objects.get(submission=p2, reviewer=max_).pseudonym == "A"
    # Max lost a paper: he is told his current list.
    mail = OutgoingMail.objects.get(kind="assignment_notice", to=max_.email)
    assert f"#{p2.number}  {p2.title}" in mail.body_text
    assert f"#{p1.number}  {p1.title}" not in mail.body_text


def test_the_notice_does_not_list_a_paper_the_reviewer_declined(client, workshop, chair, committee):
    p1 = committee.papers[0]
    ana = committee.ana
    Assignment.objects.create(
        submission=p1, reviewer=ana, declined_at=timezone.now(), decline_reason="Too busy"
    )
    client.force_login(chair)
    run = start_run(client, workshop)
    assert (p1.pk, ana.pk) not in pairs_of(MatchingRun.objects.get(pk=run.pk))
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse(COMMIT, args=[run.pk]), CONFIRMED)
    mail = OutgoingMail.objects.get(kind="assignment_notice", to=ana.email)
    assert "#" in mail.body_text
    assert p1.title not in mail.body_text, mail.body_text


def test_weights_from_the_form_change_who_is_assigned(client, workshop, chair, owner):
    sub = paper(workshop, owner, "A paper", topic="Evaluation")
    eager = member(workshop, "ea", "Eager Bidder")
    expert = member(workshop, "ex", "Topic Expert", levels={"Evaluation": ExpertiseLevel.EXPERT})
    bid(sub, eager, BidValue.EAGER)
    client.force_login(chair)
    with_bids = start_run(client, workshop, reviews_per_paper=1)
    without_bids = start_run(client, workshop, reviews_per_paper=1, weight_bid=0)
    with_bids.refresh_from_db()
    without_bids.refresh_from_db()
    assert without_bids.parameters["weights"] == {"bid": 0.0, "topic": 0.5, "text": 1.0}
    assert pairs_of(with_bids) == {(sub.pk, eager.pk)}
    assert pairs_of(without_bids) == {(sub.pk, expert.pk)}
    html = client.get(reverse(RUN_PAGE, args=[without_bids.pk])).content.decode()
    assert "weights bid 0.0, topic 0.5, text 1.0" in html


def test_a_queued_run_can_be_cancelled_and_its_task_then_does_nothing(
    client, workshop, chair, committee
):
    client.force_login(chair)
    run = start_run(client, workshop, execute=False)
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.result == {}
    html = client.get(reverse(RUN_PAGE, args=[run.pk])).content.decode()
    assert "Cancel this run" in html and reverse(COMMIT, args=[run.pk]) not in html

    assert client.get(reverse(CANCEL, args=[run.pk])).status_code == 302  # GET changes nothing
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    response = client.post(reverse(CANCEL, args=[run.pk]), follow=True)
    assert "Run cancelled." in messages_of(response)
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.finished_at is not None

    assert assignment_services.matching_run_execute(run.pk) == "skipped"
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.result == {}
    response = client.post(reverse(COMMIT, args=[run.pk]), CONFIRMED, follow=True)
    assert "This run is cancelled: nothing to commit." in messages_of(response)
    assert not Assignment.objects.exists()


def test_cancelling_a_finished_run_changes_nothing(client, workshop, chair, committee):
    client.force_login(chair)
    run = start_run(client, workshop)
    client.post(reverse(CANCEL, args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.result["pairs"]


def test_progress_fragment_while_queued_then_hx_refresh_when_done(
    client, workshop, chair, committee
):
    client.force_login(chair)
    run = start_run(client, workshop, execute=False)
    url = reverse(PROGRESS, args=[run.pk])
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 200 and "HX-Refresh" not in response
        html = response.content.decode()
        assert 'id="run-progress"' in html and f'hx-get="{url}"' in html
        assert "Queued" in html and "Waiting for a worker" in html

    assert assignment_services.matching_run_execute(run.pk) == "done"
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    plain = client.get(url)  # without htmx: the fragment, no longer polling
    html = plain.content.decode()
    assert "HX-Refresh" not in plain and "Ready for review" in html and "hx-get" not in html


def test_an_infeasible_instance_is_explained_by_paper_number(client, workshop, chair, owner):
    paper(workshop, owner, "A draft, not under review", status=SubmissionStatus.DRAFT)
    papers = [paper(workshop, owner, f"Paper title {i}") for i in range(3)]  # #2, #3, #4
    for key in ("ra", "rb"):
        member(workshop, key, f"Reviewer {key.upper()}", requested=2, approved=True)
    client.force_login(chair)
    run = start_run(client, workshop)  # 3 papers x 2 reviews, 2 reviewers x 2 papers
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert not run.result["feasible"] and run.result["unmet"] == 2
    diagnosis = " ".join(run.result["diagnosis"])
    assert "capacity" in diagnosis
    assert "#2" in diagnosis and "#4" in diagnosis and "#1" not in diagnosis
    assert not re.search(r"\b[Pp]apers? [0-9]", diagnosis), diagnosis  # no engine index
    html = client.get(reverse(RUN_PAGE, args=[run.pk])).content.decode()
    assert "cannot be solved" in html
    assert "(2 reviews missing)" in html
    listed = re.findall(r"<li>(.*?)</li>", html.split('class="diagnosis"', 1)[1].split("</ul>")[0])
    assert len(listed) == len(run.result["diagnosis"]) >= 1
    assert any(f"#{papers[0].number}" in line for line in listed)


def test_a_randomized_run_respects_the_cap_and_is_reproducible_by_seed(
    client, workshop, chair, committee
):
    client.force_login(chair)
    first = start_run(client, workshop, "randomized", prob_cap=0.5, seed=7)
    again = start_run(client, workshop, "randomized", prob_cap=0.5, seed=7)
    first.refresh_from_db()
    again.refresh_from_db()
    for run in (first, again):
        assert run.result["status"] == "sampled" and run.result["feasible"]
        assert run.result["prob_cap"] == 0.5
        assert 0 < run.result["max_probability"] <= 0.5
        check_assignment_is_valid(committee, pairs_of(run))
    assert pairs_of(first) == pairs_of(again)
    # Without the cap, the eager pairs would be certain: the best-total run takes them.
    best = start_run(client, workshop)
    best.refresh_from_db()
    assert best.result["total"] >= first.result["expected_total"] - 1e-9


def test_the_randomized_mode_needs_a_cap(client, workshop, chair, committee):
    client.force_login(chair)
    response = client.post(reverse(RUN_ADD), run_data(workshop, "randomized", prob_cap=""))
    assert response.status_code == 200
    assert response.context["form"].errors["prob_cap"] == [
        "The randomized mode needs a probability cap."
    ]
    assert not MatchingRun.objects.exists()


def test_a_max_load_parameter_caps_every_reviewer(client, workshop, chair, committee):
    client.force_login(chair)
    run = start_run(client, workshop, max_load=2)
    run.refresh_from_db()
    loads = Counter(u for _, u in pairs_of(run))
    assert run.result["feasible"] and max(loads.values()) <= 2
    check_assignment_is_valid(committee, pairs_of(run))


def test_the_preview_shows_the_maximum_the_run_used(client, workshop, chair, committee):
    client.force_login(chair)
    run = start_run(client, workshop, max_load=2)
    run.refresh_from_db()
    maxima = {row["name"]: row["max"] for row in run.result["loads"]}
    assert maxima["Ana Analyst"] == 2 and maxima["Lena Limited"] == 1


# --------------------------------------------------------------------------- warnings before harm


def test_committing_while_bidding_is_open_asks_first_and_the_service_refuses_without(
    client, workshop, chair, committee
):
    client.force_login(chair)
    run = start_run(client, workshop)
    closes = workshop.bidding_deadline.astimezone(AOE).strftime("%a %-d %b %Y, %H:%M AoE")
    html = client.get(reverse(RUN_PAGE, args=[run.pk])).content.decode()
    assert (
        '<input type="checkbox" name="during_bidding" value="1" id="run-during-bidding" required>'
        f' <label for="run-during-bidding">Bidding closes {closes}; commit anyway</label>'
    ) in html

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse(COMMIT, args=[run.pk]), follow=True)
    assert any(f"Bidding is still open: it closes {closes}" in m for m in messages_of(response))
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and not Assignment.objects.exists()
    assert not OutgoingMail.objects.filter(kind="assignment_notice").exists()
    with pytest.raises(assignment_services.BiddingStillOpen) as refused:
        assignment_services.matching_run_commit(run=run, chair=chair)
    assert refused.value.status_code == 409

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse(COMMIT, args=[run.pk]), CONFIRMED, follow=True)
    assert any(m.startswith("Assignment committed: 8 added") for m in messages_of(response))
    entry = Activity.objects.get(action="matching.commit")
    assert entry.after == {"added": 8, "removed": 0, "during_bidding": True}


def test_once_bidding_has_closed_a_commit_asks_nothing(client, workshop, chair, committee):
    client.force_login(chair)
    run = start_run(client, workshop)
    Workshop.objects.filter(pk=workshop.pk).update(
        bidding_deadline=timezone.now() - dt.timedelta(hours=1)
    )
    html = client.get(reverse(RUN_PAGE, args=[run.pk])).content.decode()
    assert "during_bidding" not in html and "Commit this assignment" in html
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse(COMMIT, args=[run.pk]), follow=True)
    assert any(m.startswith("Assignment committed: 8 added") for m in messages_of(response))
    assert "during_bidding" not in Activity.objects.get(action="matching.commit").after


def selected_workshop(response) -> str | None:
    menu = response.content.decode().split('name="workshop"')[1].split("</select>")[0]
    found = re.search(r'<option value="(\d+)" selected>', menu)
    return found.group(1) if found else None


def test_the_run_form_preselects_the_workshop_the_chair_came_from(client, workshop, chair):
    client.force_login(chair)
    home = client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse(RUN_ADD)}?workshop={workshop.pk}">Run the assignment<' in home
    only = client.get(reverse(RUN_ADD))
    assert selected_workshop(only) == str(workshop.pk)  # the chair's only workshop
    assert only.context["form"]["reviews_per_paper"].value() == workshop.reviews_per_paper
    second = WorkshopFactory(slug="gamma", short_name="GAMMA", reviews_per_paper=4)
    make_chair_of(second, chair)
    assert selected_workshop(client.get(reverse(RUN_ADD))) is None  # two: the chair picks
    came_from = client.get(reverse(RUN_ADD), {"workshop": second.pk})
    assert selected_workshop(came_from) == str(second.pk)
    assert came_from.context["form"]["reviews_per_paper"].value() == 4
    foreign = WorkshopFactory(slug="delta", short_name="DELTA")
    assert client.get(reverse(RUN_ADD), {"workshop": foreign.pk}).status_code == 404
    assert client.get(reverse(RUN_ADD), {"workshop": "x"}).status_code == 404
    # With the number left empty, the run takes the chosen workshop's own setting.
    run = start_run(client, second, reviews_per_paper="")
    assert run.parameters["reviews_per_paper"] == 4


def make_chair_of(workshop, user) -> None:
    from workshop.services import membership_grant

    membership_grant(workshop=workshop, user=user, role=Role.CHAIR)


def test_the_balance_of_loads_and_papers_is_stated_with_a_hint_when_unbalanced():
    balance = balance_of([0, 1, 6, 6, 6, 6, 6, 6], {1: 3, 2: 2, 3: 2, 4: 3})
    assert (balance.load_min, balance.load_median, balance.load_max) == (0, 6.0, 6)
    assert balance.at_max == 6 and balance.reviewers == 8 and balance.unbalanced
    assert (balance.paper_min, balance.at_paper_min, balance.papers) == (2, [2, 3], 4)
    even = balance_of([2, 2, 3, 3, 4], {1: 2})
    assert not even.unbalanced and even.load_median == 3.0 and even.at_max == 1
    assert balance_of([], {}).as_dict()["unbalanced"] is False


def test_the_preview_states_the_load_spread_and_the_papers_at_the_minimum(
    client, workshop, chair, committee
):
    client.force_login(chair)
    run = start_run(client, workshop)
    run.refresh_from_db()
    loads = sorted(row["load"] for row in run.result["loads"])
    balance = run.result["balance"]
    assert (balance["load_min"], balance["load_max"]) == (loads[0], loads[-1])
    assert balance["at_max"] == loads.count(loads[-1]) and balance["reviewers"] == 6
    assert balance["paper_min"] == 2 and balance["at_paper_min"] == [1, 2, 3, 4]
    text = text_of(client.get(reverse(RUN_PAGE, args=[run.pk])).content.decode())
    median = f"{balance['load_median']:g}"
    assert (
        f"Load spread: {loads[0]} / {median} / {loads[-1]} papers per reviewer (min / median / "
        f"max); {balance['at_max']} of 6 reviewers at the maximum of {loads[-1]}."
    ) in text
    assert "Papers at the minimum: 4 of 4 papers have 2 reviewers (#1, #2, #3, #4)." in text
    assert ("The loads are unbalanced" in text) is (loads[-1] - loads[0] > 2)


def test_an_unbalanced_run_says_so(client, workshop, chair, committee):
    client.force_login(chair)
    run = start_run(client, workshop)
    result = MatchingRun.objects.get(pk=run.pk).result
    result["balance"] = balance_of([0, 1, 6, 6], {1: 2}).as_dict()
    MatchingRun.objects.filter(pk=run.pk).update(result=result)
    text = text_of(client.get(reverse(RUN_PAGE, args=[run.pk])).content.decode())
    assert "The loads are unbalanced (0 to 6 papers)" in text
    assert "2 of 4 reviewers at the maximum of 6." in text


# --------------------------------------------------------------------------- scoping


@pytest.fixture
def stranger(db):
    other = WorkshopFactory(name="Workshop Beta", short_name="BETA", slug="beta")
    return make_chair(other, email="bert@beta-chairs.org", name="Bert Beta")


def test_a_chair_of_another_workshop_gets_404_on_every_run_page(
    client, workshop, chair, committee, stranger
):
    client.force_login(chair)
    run = start_run(client, workshop)
    other = start_run(client, workshop, "fair")
    client.force_login(stranger)
    for name in (RUN_PAGE, PROGRESS):
        assert client.get(reverse(name, args=[run.pk])).status_code == 404
    for name in (CANCEL, COMMIT):
        assert client.post(reverse(name, args=[run.pk])).status_code == 404
    assert client.get(reverse(COMPARE), {"a": run.pk, "b": other.pk}).status_code == 404
    assert client.get(reverse(COMPARE), {"a": "x", "b": other.pk}).status_code == 404
    changelist = client.get(reverse("admin:reviews_matchingrun_changelist"))
    assert changelist.status_code == 200 and f"Run {run.pk} " not in changelist.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and not Assignment.objects.exists()

    # The run form offers only the stranger's own workshop.
    form = client.get(reverse(RUN_ADD))
    assert form.status_code == 200
    assert f'<option value="{workshop.pk}"' not in form.content.decode()
    response = client.post(reverse(RUN_ADD), run_data(workshop))
    assert response.status_code == 200 and "workshop" in response.context["form"].errors
    assert MatchingRun.objects.count() == 2


def test_reviewers_are_sent_to_the_admin_login(client, workshop, chair, committee):
    client.force_login(chair)
    run = start_run(client, workshop)
    client.force_login(committee.ana)
    for url in (
        reverse(RUN_ADD),
        reverse(RUN_PAGE, args=[run.pk]),
        reverse(PROGRESS, args=[run.pk]),
        reverse(COMPARE) + f"?a={run.pk}&b={run.pk}",
        reverse(ASSIGN),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response.url, url
    response = client.post(reverse(COMMIT, args=[run.pk]), CONFIRMED)
    assert response.status_code == 302 and reverse("admin:login") in response.url
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and not Assignment.objects.exists()


# --------------------------------------------------------------------------- manual assignment


def test_manual_assignment_assigns_and_mails_the_reviewer(client, workshop, chair, committee):
    p1 = committee.papers[0]
    client.force_login(chair)
    form = client.get(reverse(ASSIGN))
    assert form.status_code == 200
    html = form.content.decode()
    assert f"#{p1.number} {p1.title}" in html and "Ana Analyst" in html
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse(ASSIGN), {"submission": p1.pk, "reviewer": committee.ana.pk}, follow=True
        )
    assert response.redirect_chain[-1][0] == reverse(ASSIGNMENTS)
    assert messages_of(response) == ["Assigned."]
    a = Assignment.objects.get()
    assert (a.submission, a.reviewer, a.locked, a.pseudonym) == (p1, committee.ana, False, "A")
    assert a.created_by == chair
    mail = OutgoingMail.objects.get(kind="assignment_notice")
    assert mail.to == committee.ana.email
    assert f"#{p1.number}  {p1.title}" in mail.body_text
    assert MARK.lower() not in mail.body_text.lower()

    client.post(
        reverse(ASSIGN), {"submission": p1.pk, "reviewer": committee.max.pk, "locked": "on"}
    )
    b = Assignment.objects.get(reviewer=committee.max)
    assert b.locked and b.pseudonym == "B"


@pytest.mark.parametrize(
    ("who", "paper_index", "reasons"),
    [("cory", 0, "(chair)"), ("dan", 1, "(domain)"), ("rita", 3, "authorship")],
)
def test_manual_assignment_refuses_a_conflict_naming_the_reasons(
    client, workshop, chair, committee, who, paper_index, reasons
):
    sub, user = committee.papers[paper_index], getattr(committee, who)
    client.force_login(chair)
    response = client.post(reverse(ASSIGN), {"submission": sub.pk, "reviewer": user.pk})
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    assert errors[0].startswith(f"{user.name} is in conflict with #{sub.number} (")
    assert reasons in errors[0]
    assert "in conflict with" in response.content.decode()
    assert not Assignment.objects.exists() and not OutgoingMail.objects.exists()


def test_manual_assignment_refuses_someone_outside_the_committee(
    client, workshop, chair, committee, stranger
):
    outsider = UserFactory(email="olga@olga-lab.org", name="Olga Outsider")
    client.force_login(chair)
    for user in (outsider, stranger, chair):
        response = client.post(
            reverse(ASSIGN), {"submission": committee.papers[0].pk, "reviewer": user.pk}
        )
        assert response.status_code == 200
        assert "reviewer" in response.context["form"].errors
        assert user.name not in response.content.decode()  # not offered either
    assert not Assignment.objects.exists()


def test_manual_assignment_warns_above_the_maximum_load(client, workshop, chair, committee):
    lena = committee.lena
    p1, p2 = committee.papers[:2]
    client.force_login(chair)
    response = client.post(reverse(ASSIGN), {"submission": p1.pk, "reviewer": lena.pk}, follow=True)
    assert messages_of(response) == ["Assigned."]
    response = client.post(reverse(ASSIGN), {"submission": p2.pk, "reviewer": lena.pk}, follow=True)
    assert messages_of(response) == [
        "Assigned.",
        "Lena Limited now has 2 papers, above their maximum of 1.",
    ]
    assert Assignment.objects.filter(reviewer=lena).count() == 2


def test_a_declined_paper_does_not_count_towards_the_load_warning(
    client, workshop, chair, committee
):
    lena = committee.lena
    p1, p2 = committee.papers[:2]
    Assignment.objects.create(
        submission=p1, reviewer=lena, declined_at=timezone.now(), decline_reason="Too busy"
    )
    client.force_login(chair)
    response = client.post(reverse(ASSIGN), {"submission": p2.pk, "reviewer": lena.pk}, follow=True)
    assert messages_of(response) == ["Assigned."]


def test_assigning_by_hand_a_paper_the_reviewer_declined_is_not_a_silent_no_op(
    client, workshop, chair, committee
):
    ana, p1 = committee.ana, committee.papers[0]
    declined = Assignment.objects.create(
        submission=p1, reviewer=ana, declined_at=timezone.now(), decline_reason="Too busy"
    )
    client.force_login(chair)
    response = client.post(reverse(ASSIGN), {"submission": p1.pk, "reviewer": ana.pk}, follow=True)
    declined.refresh_from_db()
    if "Assigned." in messages_of(response):
        assert declined.declined_at is None  # really assigned again
    else:
        assert "declined" in " ".join(response.context["form"].non_field_errors())


def test_lock_unlock_and_unassign_actions(client, workshop, chair, committee, stranger):
    p1, p2 = committee.papers[:2]
    a = Assignment.objects.create(submission=p1, reviewer=committee.ana)
    b = Assignment.objects.create(submission=p2, reviewer=committee.ana)
    url = reverse(ASSIGNMENTS)

    def act(action, *objs):
        data = {"action": action, "_selected_action": [o.pk for o in objs], "index": 0}
        return client.post(url, data, follow=True)

    client.force_login(stranger)  # another workshop's chair: the selection is out of scope
    act("unassign", a)
    assert Assignment.objects.filter(pk=a.pk).exists()

    client.force_login(chair)
    listing = client.get(url).content.decode()
    assert "Lock the selected assignments" in listing and "delete_selected" not in listing
    assert messages_of(act("lock", a, b)) == ["Locked."]
    assert set(Assignment.objects.values_list("locked", flat=True)) == {True}
    assert locked_pairs(matching_input(workshop)) == {
        (p1.pk, committee.ana.pk),
        (p2.pk, committee.ana.pk),
    }
    assert messages_of(act("unlock", b)) == ["Unlocked."]
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.locked and not b.locked
    assert messages_of(act("unassign", a)) == ["1 assignment removed."]
    assert list(Assignment.objects.all()) == [b]


def test_the_database_refuses_an_author_on_their_own_paper(workshop, committee):
    own = committee.papers[3]  # Rita co-authors it
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(submission=own, reviewer=committee.rita)
    assert not Assignment.objects.exists()
