"""External reviewers' pages (issue 28): the request form and the approval on a paper's
page, and the landing page of the invitation mail's links. Thin views over
`reviews.services.external`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from workshop.errors import ServiceError
from workshop.posted import posted_text

from ..models import ExternalStatus
from ..selectors.external import external_requests_on_paper
from ..services import external as services
from .reviewing import _page


def _back(page) -> HttpResponse:
    return redirect(
        f"{reverse('reviews:paper', args=[page.workshop.slug, page.submission.number])}#external-h"
    )


@login_required
@require_POST
def external_request(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    page = _page(request, slug, number)
    try:
        made = services.external_request_create(
            submission=page.submission,
            requester=request.user,
            email=posted_text(request.POST, "email"),
            name=posted_text(request.POST, "name"),
            message=posted_text(request.POST, "message"),
            emergency=request.POST.get("emergency") == "on",
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        request.session[f"external-draft-{page.submission.pk}"] = {
            k: posted_text(request.POST, k) for k in ("email", "name", "message")
        }
        return _back(page)
    if made.status == ExternalStatus.HELD:
        # Not why: on a double-blind workshop the reason (an author's address, their
        # institution) would answer the requester's guess. The chairs see it.
        messages.warning(
            request,
            f"The request to {made.email} is held for the chairs, who check it first. "
            "Nothing was sent yet.",
        )
    else:
        messages.success(request, f"Invitation sent to {made.email}.")
    return _back(page)


@login_required
@require_POST
def external_approve(request: HttpRequest, slug: str, number: int, pk: int) -> HttpResponse:
    page = _page(request, slug, number)
    found = external_requests_on_paper(request.user, page.submission).filter(pk=pk).first()
    if found is None:
        raise Http404("No such request.")
    try:
        services.external_review_approve(request=found, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The external review is approved: it now counts.")
    return _back(page)


@require_http_methods(["GET", "POST"])
def external_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Both links of the mail land here; each token has exactly one purpose and works once."""
    template = "reviews/external_invitation.html"
    try:
        found, purpose = services.external_request_by_token(token)
        services.external_check_usable(found)
    except ServiceError as exc:
        return render(request, template, {"error": exc.message}, status=410)
    context = {"req": found, "purpose": purpose, "token": token}
    if request.method == "GET":
        return render(request, template, context)
    try:
        if purpose == "accept":
            if not request.user.is_authenticated:
                return redirect(f"{reverse('account_login')}?next={request.path}")
            done = services.external_request_accept(token=token, user=request.user)
            if done.status == ExternalStatus.HELD:
                return render(request, template, {**context, "held": True})
            messages.success(request, "Thank you. The paper is below; your review is saved "
                                      "as you type.")  # fmt: skip
            workshop = found.submission.workshop
            return redirect("reviews:paper", workshop.slug, found.submission.number)
        services.external_request_decline(
            token=token,
            reason=posted_text(request.POST, "reason"),
            user=request.user if request.user.is_authenticated else None,
        )
    except ServiceError as exc:
        return render(request, template, {**context, "error": exc.message},
                      status=exc.status_code)  # fmt: skip
    return render(request, template, {**context, "declined": True})


@login_required
@require_POST
def external_withdraw(request: HttpRequest, slug: str, number: int, pk: int) -> HttpResponse:
    page = _page(request, slug, number)
    found = external_requests_on_paper(request.user, page.submission).filter(pk=pk).first()
    if found is None:
        raise Http404("No such request.")
    try:
        services.external_request_withdraw(request=found, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The request to {found.email} is withdrawn; its links no "
                                  "longer work.")  # fmt: skip
    return _back(page)
