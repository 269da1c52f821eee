"""The browser pages of personal API tokens: list, create (the secret shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from workshop.errors import NotFound, ServiceError

from . import selectors, services
from .forms import TokenForm


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    return render(request, "api/tokens.html", {"tokens": selectors.tokens_of(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def token_new(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                workshops=form.cleaned_data["workshops"],
                scope=form.cleaned_data["scope"],
                transfer=form.cleaned_data["transfer"] or "",
                expires_at=form.expires_at(),
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            # Shown once, on this response only; never stored, never in a redirect.
            response = render(request, "api/token_created.html",
                              {"token": token, "secret": secret})  # fmt: skip
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "api/token_new.html", {"form": form})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = services.token_revoke(user=request.user, token_id=pk)
    except NotFound:
        raise Http404("No such token.") from None
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api_tokens:list")
