"""The chairs' tools for tags, votes and review ratings (issue 28): the desk's "Tags and
votes" cells, the votes page (open, close, the combined result of each vote) and the
reviewers' rating record (sortable). Thin pages over `reviews.selectors.tags`,
`reviews.selectors.ratings` and their services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import escape

from submissions.models import Submission
from workshop.admin_scoping import ChairScopedAdmin
from workshop.errors import ServiceError
from workshop.models import Workshop
from workshop.posted import posted_text
from workshop.validators import whole_number

from ..models import ReviewRating, TagVisibility, Vote, VoteKind
from ..selectors.ratings import RECORD_SORTS, rating_records
from ..selectors.tags import desk_tags, desk_vote_sums, vote_results, workshop_votes
from ..services import ratings as rating_services
from ..services import tags as tag_services


def desk_tag_cells(user: Any, workshop: Workshop, ids: list[int]) -> dict[int, str]:
    """Each paper's "Tags and votes" cell on the desk, escaped HTML: its tags (chairs-only
    ones marked, the chair's private ones in italics) and its figure in each vote. Two
    queries for the page whatever its size and the number of tags."""
    tags = desk_tags(user, workshop, ids)
    votes, sums = desk_vote_sums(user, workshop, ids)
    cells: dict[int, str] = {}
    for pk in ids:
        parts = []
        for tag in tags.get(pk, ()):
            text = escape(str(tag))
            if tag.visibility == TagVisibility.CHAIRS:
                parts.append(f'<span class="desk-tag chairs" title="chairs only">{text}</span>')
            elif tag.visibility == TagVisibility.PRIVATE:
                parts.append(f'<em class="desk-tag private" title="yours only">{text}</em>')
            else:
                parts.append(f'<span class="desk-tag">{text}</span>')
        for vote in votes:
            result = sums.get(pk, {}).get(vote.pk)
            if result is None:
                continue
            unit = "pt" if vote.kind == VoteKind.RANK else "vote"
            plural = "" if result.total == 1 else "s"
            parts.append(f'<strong class="desk-vote">#{escape(vote.name)}: {result.total} '
                         f"{unit}{plural}</strong>")  # fmt: skip
        cells[pk] = " ".join(parts) or "—"
    return cells


class _WorkshopPage(ChairScopedAdmin):
    """A chairs' page of one workshop (`?workshop=`, else the first one chaired)."""

    chairs_may_add = False
    chairs_may_delete = False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def _workshop(self, request: HttpRequest) -> tuple[Workshop, list[Workshop]]:
        chaired = list(self.chaired_workshops(request).order_by("-pk"))
        if not chaired:
            raise PermissionDenied
        wanted = request.GET.get("workshop") or request.POST.get("workshop")
        if wanted:
            return self.chaired_workshop(request, wanted), chaired
        return chaired[0], chaired


@admin.register(Vote)
class VoteAdmin(_WorkshopPage):
    """Votes: open one (name, kind, allowance), close it, read each vote's combined result
    (the sum of the votes, or the Borda count of the rankings), best first."""

    policy_permission = "reviews.manage_votes"

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        workshop, chaired = self._workshop(request)
        if request.method == "POST":
            return self._post(request, workshop)
        votes = workshop_votes(workshop)
        tables = vote_results(votes)
        papers = {
            s.pk: s
            for s in Submission.objects.filter(workshop=workshop).only("pk", "number", "title")
        }
        shown = [
            (vote, [(papers[sid], result) for sid, result in tables[vote.pk].ranking()
                    if sid in papers])
            for vote in votes
        ]  # fmt: skip
        context = {
            **self.admin_site.each_context(request),
            "title": f"Votes · {workshop.short_name}",
            "opts": self.model._meta,
            "workshop": workshop,
            "chaired": chaired,
            "votes": shown,
            "kinds": VoteKind.choices,
        }
        return TemplateResponse(request, "admin/reviews/votes.html", context)

    def _post(self, request: HttpRequest, workshop: Workshop) -> HttpResponse:
        try:
            if request.POST.get("action") == "close":
                vote = Vote.objects.filter(
                    workshop=workshop, pk=whole_number(request.POST.get("vote", ""))
                ).first()
                if vote is None:
                    raise ServiceError("No such vote.")
                tag_services.vote_close(actor=request.user, vote=vote)
                done = f"Vote #{vote.name} closed."
            else:
                allowance = whole_number(posted_text(request.POST, "allowance"), max_digits=3)
                vote = tag_services.vote_open(
                    actor=request.user,
                    workshop=workshop,
                    name=posted_text(request.POST, "name"),
                    kind=posted_text(request.POST, "kind") or VoteKind.ALLOTMENT,
                    allowance=allowance if allowance is not None else 0,
                )
                done = f"Vote #{vote.name} is open: {vote.allowance} per member."
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return redirect(f"{request.path}?workshop={workshop.pk}")


@admin.register(ReviewRating)
class ReviewRatingAdmin(_WorkshopPage):
    """The reviewers' rating record: helpful and not helpful ratings of their reviews,
    sortable by rating (the chairs), and whether the authors may rate."""

    policy_permission = "reviews.view_rating_record"

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        workshop, chaired = self._workshop(request)
        if request.method == "POST":
            try:
                rating_services.rating_settings_set(
                    actor=request.user, workshop=workshop,
                    authors_rate=request.POST.get("authors_rate") == "on",
                )  # fmt: skip
            except ServiceError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, "Saved.", messages.SUCCESS)
            return redirect(f"{request.path}?workshop={workshop.pk}")
        sort = request.GET.get("sort", "-rating")
        if sort not in RECORD_SORTS:
            sort = "-rating"
        settings_row = getattr(workshop, "rating_settings", None)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reviewers by rating · {workshop.short_name}",
            "opts": self.model._meta,
            "workshop": workshop,
            "chaired": chaired,
            "records": rating_records(request.user, workshop, sort),
            "sort": sort,
            "authors_rate": bool(settings_row and settings_row.authors_rate),
        }
        return TemplateResponse(request, "admin/reviews/rating_record.html", context)
