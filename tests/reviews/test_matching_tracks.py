"""Matching with tracks (issue 27, part 4): a track's papers go to its named committee only,
a run for one track leaves the other tracks' assignments alone, and a reviewer's total load
over the tracks stays within their maximum."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews.models import Assignment, MatchingRun
from reviews.selectors.matching import matching_input
from reviews.selectors.matching_tracks import matching_input_for_track
from reviews.services.assignment import (
    matching_run_commit,
    matching_run_create,
    matching_run_execute,
)
from submissions.models import Submission
from tests.reviews.assignment_world import RUN_ADD, member, paper, run_data
from workshop.errors import ServiceError
from workshop.models import Role, Track
from workshop.track_services import track_member_grant

# The fixtures `workshop` (reviewer_max_load 3, two reviews per paper), `chair` and `owner`
# come from tests/reviews/conftest.py.
pytestmark = pytest.mark.django_db


@pytest.fixture
def tracked(workshop, owner):  # type: ignore[no-untyped-def]
    main = Track.objects.create(workshop=workshop, name="Main", slug="main")
    findings = Track.objects.create(workshop=workshop, name="Findings", slug="findings")
    reviewers = [member(workshop, f"r{i}", f"Reviewer {i}") for i in range(5)]
    main_papers = [paper(workshop, owner, f"Main paper {i}") for i in range(3)]
    findings_papers = [paper(workshop, owner, f"Finding {i}") for i in range(2)]
    Submission.objects.filter(pk__in=[p.pk for p in main_papers]).update(track=main)
    Submission.objects.filter(pk__in=[p.pk for p in findings_papers]).update(track=findings)
    # The findings committee: reviewers 3 and 4 (reviewer 0 has no say there).
    for user in reviewers[3:]:
        track_member_grant(track=findings, user=user, role=Role.REVIEWER)
    return main, findings, reviewers, main_papers, findings_papers


def test_across_tracks_a_named_committee_alone_reviews_its_track(workshop, tracked):
    _, _, reviewers, main_papers, findings_papers = tracked
    instance = matching_input_for_track(matching_input(workshop), workshop, None)
    pidx, ridx = instance.paper_index(), instance.reviewer_index()
    for p in findings_papers:
        allowed = {u.pk for u in reviewers if not instance.forbidden[pidx[p.pk], ridx[u.pk]]}
        assert allowed == {reviewers[3].pk, reviewers[4].pk}
    for p in main_papers:  # "main" names no committee: everyone may review it
        assert not instance.forbidden[pidx[p.pk]].any()


def test_a_track_run_lowers_each_maximum_by_the_load_elsewhere(workshop, tracked, chair):
    _, findings, reviewers, main_papers, _ = tracked
    for p in main_papers[:2]:
        Assignment.objects.create(submission=p, reviewer=reviewers[3], created_by=chair)
    instance = matching_input_for_track(matching_input(workshop), workshop, findings.pk)
    papers = Submission.objects.filter(pk__in=[p.pk for p in instance.papers])
    assert set(papers.values_list("track_id", flat=True)) == {findings.pk}
    loads = dict(zip([u.pk for u in instance.reviewers], instance.max_load, strict=True))
    assert loads[reviewers[3].pk] == 3 - 2 and loads[reviewers[4].pk] == 3


def test_committing_a_track_run_keeps_the_other_tracks_assignments(workshop, tracked, chair):
    _, findings, reviewers, main_papers, findings_papers = tracked
    kept = Assignment.objects.create(
        submission=main_papers[0], reviewer=reviewers[0], created_by=chair
    )
    with pytest.raises(ServiceError):
        matching_run_create(workshop=workshop, chair=chair, mode="max_total",
                            parameters={"track": -1})  # fmt: skip
    run = matching_run_create(
        workshop=workshop, chair=chair, mode="max_total", parameters={"track": findings.pk}
    )
    assert matching_run_execute(run.pk) == "done"
    matching_run_commit(run=MatchingRun.objects.get(pk=run.pk), chair=chair, during_bidding=True)
    assert Assignment.objects.filter(pk=kept.pk).exists()
    on_findings = Assignment.objects.filter(submission__in=findings_papers)
    assert on_findings.count() == 2 * len(findings_papers)  # two reviews per paper
    assert set(on_findings.values_list("reviewer_id", flat=True)) <= {
        reviewers[3].pk,
        reviewers[4].pk,
    }
    assert not Assignment.objects.filter(submission__in=main_papers).exclude(pk=kept.pk).exists()


def test_the_chairs_run_form_runs_one_track(client, workshop, tracked, chair):
    _, findings, _, _, _ = tracked
    client.force_login(chair)
    form = client.get(reverse(RUN_ADD)).content.decode()
    assert "Every paper, across the tracks" in form and ">Findings<" in form
    client.post(reverse(RUN_ADD), run_data(workshop, track=findings.pk))
    run = MatchingRun.objects.latest("pk")
    assert run.parameters["track"] == findings.pk
