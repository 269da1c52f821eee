"""Tracks (issue 27, part 4): who chairs which track, and how far a chair's tools reach.

A chair of the workshop reaches every paper; a track chair reaches the papers of the tracks
they chair, and nothing else of the workshop. `chair_scope` answers this once per request
(cached on the user), for the policy's predicates and for the chair tools' querysets alike,
so the desk, the decisions and the mail ask the same question the same way.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q

from .models import Role, Track, User, Workshop
from .relations import SUBMISSION, relation_path

WHOLE_WORKSHOP = None  # `chair_scope`'s answer for a chair of the workshop


def chaired_tracks(user: User | AnonymousUser) -> dict[int, frozenset[int]]:
    """{workshop id: ids of the tracks of it `user` chairs}, in one query per request."""
    if not user.is_authenticated or getattr(user, "is_system", False):
        return {}
    cached = user.__dict__.get("_chaired_tracks")
    if cached is None:
        found: dict[int, set[int]] = {}
        for track_id, workshop_id in Track.objects.filter(
            members__user=user, members__role=Role.CHAIR
        ).values_list("pk", "workshop_id"):
            found.setdefault(workshop_id, set()).add(track_id)
        cached = {w: frozenset(ids) for w, ids in found.items()}
        user.__dict__["_chaired_tracks"] = cached
    return cached


def track_chaired_workshop_ids(user: User | AnonymousUser) -> frozenset[int]:
    """Ids of the workshops in which `user` chairs a track (not necessarily the workshop)."""
    return frozenset(chaired_tracks(user))


def chair_scope(user: Any, workshop: Workshop) -> frozenset[int] | None:
    """What of `workshop` the user's chair tools reach: `WHOLE_WORKSHOP` (None) for a chair
    of the workshop (and superusers, the system), else the ids of the tracks they chair in
    it (empty: nothing)."""
    from .permissions import is_chair

    if is_chair(user, workshop):
        return WHOLE_WORKSHOP
    return chaired_tracks(user).get(workshop.pk, frozenset())


def papers_in_scope(user: Any, workshop: Workshop, *, path: str = "") -> Q:
    """A condition on the rows of `workshop` whose paper (`path` leads from the rows to the
    paper: "" for papers, "submission__" for reviews' assignments) the user's chair tools
    reach: no condition for a chair of the workshop."""
    scope = chair_scope(user, workshop)
    if scope is WHOLE_WORKSHOP:
        return Q()
    return Q(**{f"{path}track__in": sorted(scope)})


def scope_rows_q(model: type[models.Model], track_ids: frozenset[int]) -> Q | None:
    """A condition on `model` for rows of these tracks: through the row's paper, or the row's
    track; None when the model has no way to either (it is then out of a track's reach)."""
    if not track_ids:
        return None
    ids = sorted(track_ids)
    to_paper = relation_path(model, SUBMISSION)
    if to_paper is not None:
        return Q(**{f"{to_paper}__track__in" if to_paper else "track__in": ids})
    to_track = relation_path(model, "workshop.Track")
    if to_track is not None:
        return Q(**{f"{to_track}__in" if to_track else "pk__in": ids})
    return None


def track_id_of(obj: Any) -> int | None:
    """The track an object belongs to: itself for a track, a paper's track, the track of the
    paper of anything of a paper (a review, an assignment); None for anything else."""
    if not isinstance(obj, models.Model):
        return None
    if isinstance(obj, Track):
        return obj.pk
    path = relation_path(obj.__class__, SUBMISSION)
    if path is None:
        return None
    current: Any = obj
    for hop in path.split("__") if path else []:
        current = getattr(current, hop, None)
        if current is None:
            return None
    return getattr(current, "track_id", None)
