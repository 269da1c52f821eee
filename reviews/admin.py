"""Chair tools for the committee, in the admin, scoped to the workshops a chair chairs."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from workshop.admin_scoping import ChairScopedAdmin
from workshop.errors import ServiceError
from workshop.models import Workshop
from workshop.selectors import chaired_workshop_ids

from . import progress as progress_selectors
from . import selectors
from .forms import InviteForm, ManualAssignmentForm, MatchingRunForm
from .models import (
    Assignment,
    Bid,
    ConflictOverride,
    Invitation,
    InvitationStatus,
    MatchingRun,
    Review,
    ReviewerProfile,
    ReviewQuestion,
)
from .services import assignment as assignment_services
from .services import committee, invitations
from .services import reviewing as reviewing_services


@admin.register(Invitation)
class InvitationAdmin(ChairScopedAdmin):
    list_display = ["email", "name", "role", "workshop", "status_label", "sent_count",
                    "last_sent_at", "responded_at", "decline_reason"]  # fmt: skip
    list_filter = ["workshop", "status", "role"]
    search_fields = ["email", "name"]
    actions = ["resend", "revoke"]
    readonly_fields = ["workshop", "email", "name", "role", "status", "expires_at", "invited_by",
                       "sent_count", "last_sent_at", "responded_at", "accepted_by",
                       "decline_reason"]  # fmt: skip
    exclude = ["accept_hash", "decline_hash"]
    change_list_template = "admin/reviews/invitation/change_list.html"

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.display(description="Status")
    def status_label(self, obj: Invitation) -> str:
        if obj.status == InvitationStatus.PENDING and obj.is_expired:
            return "Expired"
        return obj.get_status_display()

    def get_urls(self):  # type: ignore[no-untyped-def]
        wrap = self.admin_site.admin_view
        return [
            path("invite/", wrap(self.invite_view), name="reviews_invitation_invite"),
            path("committee/<int:workshop_id>/", wrap(self.committee_view),
                 name="reviews_committee"),
            path("coverage/<int:workshop_id>/", wrap(self.coverage_view),
                 name="reviews_bid_coverage"),
            *super().get_urls(),
        ]  # fmt: skip

    def add_view(self, request, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        return redirect("admin:reviews_invitation_invite")

    def _chaired(self, request: HttpRequest) -> QuerySet[Workshop]:
        return Workshop.objects.filter(pk__in=chaired_workshop_ids(request.user))

    def _workshop(self, request: HttpRequest, workshop_id: int) -> Workshop:
        workshop = self._chaired(request).filter(pk=workshop_id).first()
        if workshop is None:
            raise Http404("No such workshop.")
        return workshop

    def invite_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise Http404
        workshops = self._chaired(request)
        form = InviteForm(request.POST or None, request.FILES or None, workshops=workshops,
                          initial={"workshop": workshops.first()})  # fmt: skip
        if request.method == "POST" and form.is_valid():
            made, skipped = invitations.invitations_bulk(
                workshop=form.cleaned_data["workshop"],
                rows=form.cleaned_data["rows"],
                invited_by=request.user,
            )
            self.message_user(request, f"{len(made)} invitation(s) sent.", messages.SUCCESS)
            for reason in skipped:
                self.message_user(request, f"Skipped: {reason}", messages.WARNING)
            return redirect("admin:reviews_invitation_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Invite to the programme committee",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reviews/invite.html", context)

    def committee_view(self, request: HttpRequest, workshop_id: int) -> HttpResponse:
        workshop = self._workshop(request, workshop_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Committee of {workshop.short_name}",
            "workshop": workshop,
            "rows": selectors.committee_overview(workshop),
            "pending": Invitation.objects.filter(workshop=workshop).exclude(
                status=InvitationStatus.ACCEPTED
            ),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reviews/committee.html", context)

    def coverage_view(self, request: HttpRequest, workshop_id: int) -> HttpResponse:
        workshop = self._workshop(request, workshop_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Bid coverage of {workshop.short_name}",
            "workshop": workshop,
            "rows": selectors.bid_coverage(workshop),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reviews/coverage.html", context)

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        extra_context = {**(extra_context or {}), "chaired": self._chaired(request)}
        return super().changelist_view(request, extra_context)

    @admin.action(description="Re-send the selected invitations (new links)")
    def resend(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        done = 0
        for inv in queryset:
            try:
                invitations.invitation_resend(invitation=inv, chair=request.user)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{inv.email}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} invitation(s) re-sent.", messages.SUCCESS)

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        for inv in queryset:
            invitations.invitation_revoke(invitation=inv, chair=request.user)
        self.message_user(request, "Revoked; their links no longer work.", messages.SUCCESS)


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(ChairScopedAdmin):
    chairs_may_add = False
    list_display = ["user", "workshop", "requested_max_load", "load_request_approved",
                    "max_load", "updated_at"]  # fmt: skip
    list_filter = ["workshop", "load_request_approved"]
    search_fields = ["user__name", "user__email", "expertise_text"]
    list_select_related = ["user", "workshop"]
    readonly_fields = ["workshop", "user", "requested_max_load", "load_request_approved"]
    actions = ["approve_load", "refuse_load"]

    @admin.action(description="Approve the selected load requests")
    def approve_load(self, request: HttpRequest, queryset: QuerySet[ReviewerProfile]) -> None:
        for profile in queryset.filter(requested_max_load__isnull=False):
            committee.load_request_approve(profile=profile, chair=request.user)
        self.message_user(request, "Approved.", messages.SUCCESS)

    @admin.action(description="Refuse the selected load requests")
    def refuse_load(self, request: HttpRequest, queryset: QuerySet[ReviewerProfile]) -> None:
        for profile in queryset.filter(requested_max_load__isnull=False):
            committee.load_request_approve(profile=profile, chair=request.user, approve=False)
        self.message_user(request, "Refused: the default load applies.", messages.SUCCESS)


@admin.register(ConflictOverride)
class ConflictOverrideAdmin(ChairScopedAdmin):
    """Set or lift a conflict for one pair; every change goes to the audit log."""

    workshop_path = "submission__workshop"
    list_display = ["submission", "user", "conflicted", "reason", "set_by", "set_at"]
    list_filter = ["conflicted", "submission__workshop"]
    search_fields = ["user__name", "user__email", "submission__title", "reason"]
    raw_id_fields = ["user"]
    readonly_fields = ["set_by", "set_at"]

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        try:
            saved = committee.conflict_override_set(
                submission=obj.submission,
                user=obj.user,
                conflicted=obj.conflicted,
                reason=obj.reason,
                chair=request.user,
            )
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = saved.pk


@admin.register(Bid)
class BidAdmin(ChairScopedAdmin):
    workshop_path = "submission__workshop"
    chairs_may_add = False
    list_display = ["submission", "user", "value", "updated_at"]
    list_filter = ["value", "submission__workshop"]
    search_fields = ["user__name", "user__email", "submission__title"]
    list_select_related = ["submission", "user"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Assignment)
class AssignmentAdmin(ChairScopedAdmin):
    """Manual assignment: assign (with the conflict check and load warnings), unassign, lock."""

    workshop_path = "submission__workshop"
    list_display = ["submission", "reviewer", "role", "locked", "created_at"]
    list_filter = ["role", "locked", "submission__workshop"]
    search_fields = [
        "reviewer__name",
        "reviewer__email",
        "submission__title",
        "=submission__number",
    ]
    list_select_related = ["submission", "reviewer"]
    actions = ["lock", "unlock", "unassign"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def get_actions(self, request):  # type: ignore[no-untyped-def]
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # unassigning goes through the service
        return actions

    def add_view(self, request, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        workshops = Workshop.objects.filter(pk__in=chaired_workshop_ids(request.user))
        workshop = (
            workshops.filter(pk=request.GET.get("workshop") or 0).first() or workshops.first()
        )
        if workshop is None:
            raise Http404
        form = ManualAssignmentForm(request.POST or None, workshop=workshop)
        if request.method == "POST" and form.is_valid():
            try:
                _, warnings = assignment_services.assignment_add(
                    submission=form.cleaned_data["submission"],
                    reviewer=form.cleaned_data["reviewer"],
                    chair=request.user,
                    locked=form.cleaned_data["locked"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, "Assigned.", messages.SUCCESS)
                for warning in warnings:
                    self.message_user(request, warning, messages.WARNING)
                return redirect("admin:reviews_assignment_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "workshop": workshop,
            "workshops": workshops,
            "title": f"Assign a reviewer ({workshop.short_name})",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reviews/assign.html", context)

    @admin.action(description="Lock the selected assignments (kept by matching runs)")
    def lock(self, request: HttpRequest, queryset: QuerySet[Assignment]) -> None:
        for a in queryset:
            assignment_services.assignment_lock(assignment=a, chair=request.user, locked=True)
        self.message_user(request, "Locked.", messages.SUCCESS)

    @admin.action(description="Unlock the selected assignments")
    def unlock(self, request: HttpRequest, queryset: QuerySet[Assignment]) -> None:
        for a in queryset:
            assignment_services.assignment_lock(assignment=a, chair=request.user, locked=False)
        self.message_user(request, "Unlocked.", messages.SUCCESS)

    @admin.action(description="Unassign the selected reviewers")
    def unassign(self, request: HttpRequest, queryset: QuerySet[Assignment]) -> None:
        count = 0
        for a in queryset.select_related("submission__workshop"):
            assignment_services.assignment_remove(assignment=a, chair=request.user)
            count += 1
        self.message_user(request, f"{count} assignment(s) removed.", messages.SUCCESS)


@admin.register(MatchingRun)
class MatchingRunAdmin(ChairScopedAdmin):
    """The chair's assignment page: run the engine, watch it, preview, compare, commit."""

    list_display = ["__str__", "status", "mode", "total", "floor", "created_at", "created_by"]
    list_filter = ["workshop", "status", "mode"]
    chairs_may_delete = False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.display(description="Total fit")
    def total(self, run: MatchingRun) -> str:
        return str(run.result.get("total", "—"))

    @admin.display(description="Worst paper's fit")
    def floor(self, run: MatchingRun) -> str:
        return str(run.result.get("min_paper_sum", "—"))

    def get_urls(self):  # type: ignore[no-untyped-def]
        wrap = self.admin_site.admin_view
        return [
            path("<int:run_id>/progress/", wrap(self.progress_view), name="reviews_run_progress"),
            path("<int:run_id>/cancel/", wrap(self.cancel_view), name="reviews_run_cancel"),
            path("<int:run_id>/commit/", wrap(self.commit_view), name="reviews_run_commit"),
            path("compare/", wrap(self.compare_view), name="reviews_run_compare"),
            *super().get_urls(),
        ]

    def _run(self, request: HttpRequest, run_id: int) -> MatchingRun:
        run = self.get_queryset(request).select_related("workshop").filter(pk=run_id).first()
        if run is None:
            raise Http404("No such run.")
        return run

    def add_view(self, request, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        workshops = Workshop.objects.filter(pk__in=chaired_workshop_ids(request.user))
        first = workshops.first()
        if first is None:
            raise Http404
        form = MatchingRunForm(
            request.POST or None,
            workshops=workshops,
            initial={"workshop": first, "reviews_per_paper": first.reviews_per_paper},
        )
        if request.method == "POST" and form.is_valid():
            try:
                run = assignment_services.matching_run_create(
                    workshop=form.cleaned_data["workshop"],
                    chair=request.user,
                    mode=form.cleaned_data["mode"],
                    parameters=form.parameters(),
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("admin:reviews_matchingrun_change", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Run the assignment",
            "opts": self.model._meta,
            "recent": self.get_queryset(request).order_by("-created_at")[:10],
        }
        return TemplateResponse(request, "admin/reviews/run_new.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        run = self._run(request, int(object_id) if str(object_id).isdigit() else 0)
        others = self.get_queryset(request).filter(workshop=run.workshop).exclude(pk=run.pk)
        context = {
            **self.admin_site.each_context(request),
            "run": run,
            "title": str(run),
            "opts": self.model._meta,
            "others": others.filter(status__in=["done", "committed"])[:20],
        }
        return TemplateResponse(request, "admin/reviews/run_detail.html", context)

    def progress_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self._run(request, run_id)
        if run.status in ("done", "failed", "cancelled", "committed") and request.htmx:
            response = HttpResponse()
            response["HX-Refresh"] = "true"  # the full preview replaces the progress bar
            return response
        return TemplateResponse(request, "admin/reviews/_run_progress.html", {"run": run})

    def cancel_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self._run(request, run_id)
        if request.method == "POST":
            assignment_services.matching_run_cancel(run=run, chair=request.user)
            self.message_user(request, "Run cancelled.", messages.SUCCESS)
        return redirect("admin:reviews_matchingrun_change", run.pk)

    def commit_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = self._run(request, run_id)
        if request.method != "POST":
            return redirect("admin:reviews_matchingrun_change", run.pk)
        try:
            counts = assignment_services.matching_run_commit(run=run, chair=request.user)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request,
                f"Assignment committed: {counts['added']} added, {counts['removed']} removed; "
                f"{counts['notified']} reviewer(s) notified.",
                messages.SUCCESS,
            )
        return redirect("admin:reviews_matchingrun_change", run.pk)

    def compare_view(self, request: HttpRequest) -> HttpResponse:
        try:
            a = self._run(request, int(request.GET.get("a", 0)))
            b = self._run(request, int(request.GET.get("b", 0)))
        except ValueError:
            raise Http404 from None
        pairs_a = {(s, u) for s, u, _ in a.result.get("pairs", [])}
        pairs_b = {(s, u) for s, u, _ in b.result.get("pairs", [])}
        context = {
            **self.admin_site.each_context(request),
            "a": a,
            "b": b,
            "title": f"Compare run {a.pk} and run {b.pk}",
            "opts": self.model._meta,
            "only_a": len(pairs_a - pairs_b),
            "only_b": len(pairs_b - pairs_a),
            "both": len(pairs_a & pairs_b),
        }
        return TemplateResponse(request, "admin/reviews/run_compare.html", context)


@admin.register(ReviewQuestion)
class ReviewQuestionAdmin(ChairScopedAdmin):
    """The review form: questions with a kind, visibility and order. A question with answers
    is retired (unticked "active") rather than deleted, so no answer is ever lost."""

    list_display = ["label", "workshop", "kind", "required", "visibility", "order", "active"]
    list_editable = ["order", "required", "visibility", "active"]
    list_filter = ["workshop", "kind", "visibility", "active"]
    actions = ["create_default_form"]

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        if obj is not None and obj.answers.exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):  # type: ignore[no-untyped-def]
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleting answered questions must not be bulk
        return actions

    @admin.action(description="Create the default review form for the workshops of the selection")
    def create_default_form(self, request: HttpRequest, queryset: QuerySet) -> None:
        for workshop in Workshop.objects.filter(pk__in=chaired_workshop_ids(request.user)):
            reviewing_services.default_form_create(workshop)
        self.message_user(request, "Default form in place where a workshop had none.")

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        if request.method == "POST" and request.POST.get("action") == "create_default_form":
            # Allowed with an empty selection: there may be no question yet.
            self.create_default_form(request, self.get_queryset(request).none())
            return redirect("admin:reviews_reviewquestion_changelist")
        return super().changelist_view(request, extra_context)


@admin.register(Review)
class ReviewAdmin(ChairScopedAdmin):
    """Reviews (drafts included) for the chairs; the progress view is linked from here."""

    workshop_path = "assignment__submission__workshop"
    chairs_may_add = False
    chairs_may_delete = False
    list_display = ["assignment", "status", "version", "updated_at", "submitted_at"]
    list_filter = ["status", "assignment__submission__workshop"]
    search_fields = ["assignment__reviewer__name", "assignment__submission__title"]
    list_select_related = ["assignment__reviewer", "assignment__submission"]
    change_list_template = "admin/reviews/review/change_list.html"

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def get_urls(self):  # type: ignore[no-untyped-def]
        wrap = self.admin_site.admin_view
        return [
            path("progress/<int:workshop_id>/", wrap(self.progress_view),
                 name="reviews_progress"),
            *super().get_urls(),
        ]  # fmt: skip

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        chaired = Workshop.objects.filter(pk__in=chaired_workshop_ids(request.user))
        return super().changelist_view(request, {**(extra_context or {}), "chaired": chaired})

    def progress_view(self, request: HttpRequest, workshop_id: int) -> HttpResponse:
        workshop = Workshop.objects.filter(
            pk=workshop_id, pk__in=chaired_workshop_ids(request.user)
        ).first()
        if workshop is None:
            raise Http404("No such workshop.")
        if request.method == "POST" and request.POST.get("action") == "remind":
            count = reviewing_services.late_reviewers_remind(workshop=workshop, chair=request.user)
            self.message_user(request, f"{count} reviewer(s) reminded.", messages.SUCCESS)
            return redirect("admin:reviews_progress", workshop.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review progress of {workshop.short_name}",
            "workshop": workshop,
            "progress": progress_selectors.review_progress(workshop),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reviews/progress.html", context)
