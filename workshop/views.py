from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import selectors, services
from .forms import ProfileForm
from .models import Workshop
from .phases import call_is_open, current_phase, milestones, next_milestone


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    open_calls = [
        {"workshop": w, "phase": current_phase(w, now), "next": next_milestone(w, now)}
        for w in selectors.workshops_listed(now)
    ]
    past = [
        {"workshop": w, "phase": current_phase(w, now)} for w in selectors.workshops_past(now)[:20]
    ]
    return render(request, "workshop/home.html", {"open_calls": open_calls, "past": past})


@require_GET
def workshop_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        workshop = selectors.workshop_public_get(slug=slug)
    except Workshop.DoesNotExist:
        raise Http404("No such workshop.") from None
    now = timezone.now()
    return render(
        request,
        "workshop/detail.html",
        {
            "workshop": workshop,
            "topics": workshop.topics.all(),
            "phase": current_phase(workshop, now),
            "next": next_milestone(workshop, now),
            "dates": milestones(workshop, public_only=True),
            "now": now,
            "call_open": call_is_open(workshop, now),
        },
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if not k.startswith("notify_")}
        services.profile_update(user=request.user, **fields)
        services.notifications_set(user=request.user, prefs=form.notification_prefs())
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "workshop/profile.html", {"form": form})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and compose health checks.

    The database is required (a failure here is a 500); Redis is a helper, so an unreachable
    Redis reports `"redis": "degraded"` with status 200: the site still serves every page.
    """
    from .cache import redis_status

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    redis = redis_status()
    return JsonResponse({"status": "degraded" if redis == "degraded" else "ok", "redis": redis})


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every page (the admin has no <link rel=icon>)."""
    return redirect(static("favicon.svg"), permanent=True)
