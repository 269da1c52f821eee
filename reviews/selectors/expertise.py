"""Reads of reviewers' expertise: publication lists, the documents the text model reads,
and the fit explanation (parts of the fit and the best-matching publications).

What a reviewer is shown of the explanation never holds an author identity: papers appear
by title, publications by title and year only (no co-authors, no venue), and excluded
publications never take part in any score or explanation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from workshop.models import User

from ..affinity import PublicationText, profile_documents
from ..expertise.text import Document
from ..models import Publication


def publications_of(owner: User) -> QuerySet[Publication]:
    """The owner's list, excluded ones too (their own page shows and toggles them)."""
    return Publication.objects.filter(user=owner).order_by("-year", "title")


def included_publications(user_ids: Iterable[int]) -> dict[int, list[PublicationText]]:
    """Per user, the publications that count for expertise (one query)."""
    found: dict[int, list[PublicationText]] = defaultdict(list)
    for uid, pk, title, abstract, year in (
        Publication.objects.filter(user_id__in=list(user_ids), excluded=False)
        .order_by("user_id", "-year", "pk")
        .values_list("user_id", "pk", "title", "abstract", "year")
    ):
        found[uid].append(PublicationText(pk, title, abstract, year))
    return found


def reviewer_documents(
    user_ids: list[int], free_texts: dict[int, str]
) -> tuple[list[list[Document]], dict[int, list[PublicationText]]]:
    pubs = included_publications(user_ids)
    docs = [profile_documents(pubs.get(uid, []), free_texts.get(uid, "")) for uid in user_ids]
    return docs, pubs


@dataclass
class FitExplanation:
    """Why a pair fits: its parts (each in [0, 1], embedding None when not configured), the
    bid when known, and the two included publications that match the paper best."""

    topic: float
    text: float
    embedding: float | None = None
    bid: str = ""
    bid_score: float | None = None
    total: float | None = None
    publications: list[dict] = field(default_factory=list)
