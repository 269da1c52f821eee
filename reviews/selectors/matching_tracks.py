"""Matching with tracks (issue 27, part 4): one track at a time, or across tracks, with each
reviewer's total load bounded.

A track whose committee is named (reviewers in `TrackMember`) is reviewed by that committee
only; a track naming none by the whole committee. Across tracks (one run for the workshop),
a reviewer's load is bounded by their maximum as always. Per track, the papers are that
track's and each reviewer's maximum is lowered by the papers they already review in the
other tracks, so that runs one after the other never load anyone past their maximum.
"""

from __future__ import annotations

import numpy as np
from django.db.models import Count

from submissions.models import Submission, SubmissionStatus
from workshop.models import Role, TrackMember, Workshop

from ..models import Assignment
from .matching import MatchingInput


def _committees(workshop: Workshop) -> dict[int, set[int]]:
    """{track id: the reviewers named for it}, for the tracks that name any."""
    found: dict[int, set[int]] = {}
    for track_id, user_id in TrackMember.objects.filter(
        track__workshop=workshop, role=Role.REVIEWER
    ).values_list("track_id", "user_id"):
        found.setdefault(track_id, set()).add(user_id)
    return found


def matching_input_for_track(
    instance: MatchingInput, workshop: Workshop, track_id: int | None
) -> MatchingInput:
    """`instance` (the whole workshop's, from `matching_input`) for one track (`track_id`),
    or across tracks (None). A workshop without tracks gets `instance` back unchanged.

    Three queries: the tracks' committees, the papers' tracks, and (per track) the load each
    reviewer already carries in the other tracks.
    """
    if not workshop.tracks.exists():
        return instance
    committees = _committees(workshop)
    tracks = dict(
        Submission.objects.filter(pk__in=[p.pk for p in instance.papers]).values_list(
            "pk", "track_id"
        )
    )
    keep = [
        i for i, p in enumerate(instance.papers) if track_id is None or tracks[p.pk] == track_id
    ]
    rows = np.array(keep, dtype=np.int64)
    forbidden = instance.forbidden[rows].copy() if keep else instance.forbidden[:0].copy()
    locked = set(instance.locked)  # a locked or started review stays, committee or not
    for new, old in enumerate(keep):
        named = committees.get(tracks[instance.papers[old].pk])
        if named is not None:
            for j, user in enumerate(instance.reviewers):
                if user.pk not in named and (old, j) not in locked:
                    forbidden[new, j] = True
    max_load = instance.max_load.copy()
    if track_id is not None:
        elsewhere = dict(
            Assignment.objects.filter(
                submission__workshop=workshop,
                submission__status=SubmissionStatus.SUBMITTED,
                role=Role.REVIEWER,
                declined_at__isnull=True,
                reviewer_id__in=[u.pk for u in instance.reviewers],
            )
            .exclude(submission__track_id=track_id)
            .values("reviewer_id")
            .annotate(n=Count("pk"))
            .values_list("reviewer_id", "n")
        )
        for j, user in enumerate(instance.reviewers):
            max_load[j] = max(0, int(max_load[j]) - elsewhere.get(user.pk, 0))
    position = {old: new for new, old in enumerate(keep)}
    return MatchingInput(
        [instance.papers[i] for i in keep],
        instance.reviewers,
        instance.affinity[rows] if keep else instance.affinity[:0],
        forbidden,
        [(position[i], j) for i, j in instance.locked if i in position],
        max_load,
        {(position[i], j): r for (i, j), r in instance.conflict_reasons.items() if i in position},
        {name: part[rows] if keep else part[:0] for name, part in instance.parts.items()},
        instance.space,
        instance.publications,
    )
