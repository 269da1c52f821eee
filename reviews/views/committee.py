"""Committee pages: dashboard, profile, bidding, invitations. Thin views over services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from submissions.models import Submission
from workshop.errors import ServiceError
from workshop.models import Role, Topic, Workshop
from workshop.policy import can
from workshop.posted import posted_text

from ..forms import ProfileForm
from ..models import BidValue, ConflictDeclaration, DeclarationKind, ReviewerProfile, ReviewStatus
from ..permissions import review_submitted
from ..selectors import committee as selectors
from ..selectors.conflicts import conflicts_for
from ..selectors.reviewing import reviewer_assignments
from ..services import committee, invitations


def _workshop(request: HttpRequest, slug: str) -> Workshop:
    try:
        return selectors.workshop_for_committee(request.user, slug)
    except Workshop.DoesNotExist:
        raise Http404("No such workshop.") from None


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    memberships = list(selectors.committee_workshops(request.user))
    workshops = {m.workshop_id: m.workshop for m in memberships}
    profiles = {
        p.workshop_id: p
        for p in ReviewerProfile.objects.filter(
            user=request.user, workshop_id__in=workshops
        ).annotate(n_topics=Count("topics"))
    }
    topic_counts = dict(
        Topic.objects.filter(workshop_id__in=workshops)
        .values("workshop_id")
        .annotate(n=Count("pk"))
        .values_list("workshop_id", "n")
    )
    cards = []
    for wid, workshop in workshops.items():
        profile = profiles.get(wid)
        missing = committee.profile_missing(
            profile, topic_counts.get(wid, 0), profile.n_topics if profile else 0
        )
        cards.append(
            {
                "workshop": workshop,
                "roles": sorted(
                    {m.get_role_display() for m in memberships if m.workshop_id == wid}
                ),
                "missing": missing,
                "bidding_open": can(request.user, "reviews.bid", workshop),
            }
        )
    assignments = list(reviewer_assignments(request.user))
    done = sum(1 for a in assignments if review_submitted(a))
    return render(
        request,
        "reviews/dashboard.html",
        {
            "cards": cards,
            "assignments": assignments,
            "done": done,
            "roles": Role,
            "review_status": ReviewStatus,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = _workshop(request, slug)
    instance = committee.profile_get_or_create(workshop=workshop, user=request.user)
    topics = list(Topic.objects.filter(workshop=workshop))
    declarations = list(ConflictDeclaration.objects.filter(workshop=workshop, user=request.user))
    form = ProfileForm(
        request.POST or None,
        instance=instance,
        workshop=workshop,
        topics=topics,
        levels={e.topic_id: e.level for e in instance.topics.all()},
        initial={
            "people": "\n".join(d.value for d in declarations if d.kind == DeclarationKind.PERSON),
            "institutions": "\n".join(
                d.value for d in declarations if d.kind == DeclarationKind.INSTITUTION
            ),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            committee.profile_update(
                workshop=workshop,
                user=request.user,
                expertise_text=data["expertise_text"],
                dblp_url=data["dblp_url"],
                semantic_scholar_url=data["semantic_scholar_url"],
                openreview_url=data["openreview_url"],
                requested_max_load=data["requested_max_load"],
                topic_levels=form.topic_levels(),
            )
            committee.declarations_replace(
                workshop=workshop,
                user=request.user,
                people=data["people"].splitlines(),
                institutions=data["institutions"].splitlines(),
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            # Stay on the profile: the person may keep editing (or import publications below);
            # the page itself offers the next step (bidding, when open).
            messages.success(request, "Profile saved.")
            return redirect("reviews:profile", workshop.slug)
    return render(
        request,
        "reviews/profile.html",
        {
            "form": form,
            "workshop": workshop,
            "profile": instance,
            "bidding_open": can(request.user, "reviews.bid", workshop),
        },
    )


@login_required
def bids(request: HttpRequest, slug: str) -> HttpResponse:
    workshop = _workshop(request, slug)
    try:
        topic_id = int(request.GET.get("topic") or 0) or None
    except ValueError:
        topic_id = None
    page = selectors.bidding_page(
        workshop,
        request.user,
        query=request.GET.get("q", "")[:200],
        topic_id=topic_id,
        page=request.GET.get("page", 1),
    )
    return render(
        request,
        "reviews/bidding.html",
        {
            "workshop": workshop,
            "page": page,
            "choices": BidValue.choices,
            "open": can(request.user, "reviews.bid", workshop),
            "q": request.GET.get("q", ""),
            "topic_id": topic_id,
        },
    )


@login_required
@require_POST
def bid(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    workshop = _workshop(request, slug)
    # One conflict map for the whole request: the lookup, the rule and the counter.
    conflicts = conflicts_for(workshop, user_ids=[request.user.pk], include_drafts=True)
    try:
        submission = selectors.bid_target(workshop, request.user, pk, conflicts=conflicts)
    except Submission.DoesNotExist:
        raise Http404("No such paper.") from None
    value = request.POST.get("value", "")
    try:
        placed = committee.bid_place(
            user=request.user, submission=submission, value=value, conflicts=conflicts
        )
    except ServiceError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=exc.status_code)
        messages.error(request, exc.message)
        return redirect("reviews:bids", workshop.slug)
    if not request.htmx:
        messages.success(request, f"Bid on #{submission.number} saved.")
        return redirect(f"{reverse('reviews:bids', args=[workshop.slug])}#paper-{submission.pk}")
    # Only the user's own bid on this paper can have changed its conflict (bid_target).
    conflicted = conflicts.hidden_submissions(request.user.pk) - {submission.pk}
    if placed.value == BidValue.CONFLICT:
        conflicted.add(submission.pk)
    placed_count, visible = selectors.bids_placed(workshop, request.user, conflicted=conflicted)
    return render(
        request,
        "reviews/_bid_response.html",
        {
            "workshop": workshop,
            "submission": submission,
            "bid": placed.value,
            "choices": BidValue.choices,
            "open": True,
            "placed": placed_count,
            "requested": min(workshop.bids_requested, visible),
            "total": visible,  # the counter's "papers you can review" (a conflict is none)
        },
    )


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Both links of an invitation mail land here; each token has exactly one purpose."""
    try:
        found, purpose = invitations.invitation_by_token(token)
        invitations.check_usable(found)
    except ServiceError as exc:
        return render(request, "reviews/invitation.html", {"error": exc.message}, status=410)
    context = {"invitation": found, "purpose": purpose, "token": token}
    if request.method == "GET":
        return render(request, "reviews/invitation.html", context)
    try:
        if purpose == "accept":
            if not request.user.is_authenticated:
                return redirect(f"{reverse('account_login')}?next={request.path}")
            invitations.invitation_accept(token=token, user=request.user)
            messages.success(
                request,
                f"Welcome to the committee of {found.workshop.name}. Please fill in your profile.",
            )
            return redirect("reviews:profile", found.workshop.slug)
        invitations.invitation_decline(
            token=token,
            reason=posted_text(request.POST, "reason"),
            user=request.user if request.user.is_authenticated else None,
        )
    except ServiceError as exc:
        return render(
            request, "reviews/invitation.html", {**context, "error": exc.message}, status=403
        )
    return render(request, "reviews/invitation.html", {**context, "declined": True})
