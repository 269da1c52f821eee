"""Chair tools for the committee: invitations, profiles, conflicts, bids."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import ngettext

from workshop.admin_scoping import ChairScopedAdmin
from workshop.errors import ServiceError

from ..forms import InviteForm
from ..models import (
    Bid,
    ConflictOverride,
    Invitation,
    InvitationStatus,
    ReviewerProfile,
)
from ..selectors import committee as selectors
from ..services import committee, invitations


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
    chairs_may_delete = False  # "Revoke" keeps the record of who was asked

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

    def invite_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise Http404
        workshops = self.chaired_workshops(request)
        form = InviteForm(request.POST or None, request.FILES or None, workshops=workshops,
                          initial={"workshop": workshops.first()})  # fmt: skip
        not_invited: list[str] = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            made, skipped = invitations.invitations_bulk(
                workshop=data["workshop"], rows=data["rows"], invited_by=request.user
            )
            sent = ngettext("%(n)d invitation sent.", "%(n)d invitations sent.", len(made))
            self.message_user(request, sent % {"n": len(made)}, messages.SUCCESS)
            for reason in skipped:
                self.message_user(request, f"Skipped: {reason}", messages.WARNING)
            if not data["problems"]:
                return redirect("admin:reviews_invitation_changelist")
            # The good ones are invited; the bad lines come back in the box, each with why.
            not_invited = data["problems"]
            form = InviteForm(
                workshops=workshops,
                initial={
                    "workshop": data["workshop"],
                    "role": data["role"],
                    "people": "\n".join(data["bad_lines"]),
                },
            )
        context = {
            **self.admin_site.each_context(request),
            "not_invited": not_invited,
            "form": form,
            "title": "Invite to the programme committee",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reviews/invite.html", context)

    def committee_view(self, request: HttpRequest, workshop_id: int) -> HttpResponse:
        workshop = self.chaired_workshop(request, workshop_id)
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
        return TemplateResponse(
            request,
            "admin/reviews/committee.html",
            {**context, "InvitationStatus": InvitationStatus},
        )

    def coverage_view(self, request: HttpRequest, workshop_id: int) -> HttpResponse:
        workshop = self.chaired_workshop(request, workshop_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Bid coverage of {workshop.short_name}",
            "workshop": workshop,
            "rows": selectors.bid_coverage(workshop),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reviews/coverage.html", context)

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        extra_context = {**(extra_context or {}), "chaired": self.chaired_workshops(request)}
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
        again = ngettext("%(n)d invitation re-sent.", "%(n)d invitations re-sent.", done)
        self.message_user(request, again % {"n": done}, messages.SUCCESS)

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        for inv in queryset:
            invitations.invitation_revoke(invitation=inv, chair=request.user)
        self.message_user(request, "Revoked; their links no longer work.", messages.SUCCESS)


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(ChairScopedAdmin):
    chairs_may_add = False
    chairs_may_delete = False  # the member's own data: their expertise, load and declarations
    list_display = ["user", "workshop", "requested_max_load", "load_request_approved",
                    "max_load", "updated_at"]  # fmt: skip
    list_filter = ["workshop", "load_request_approved"]
    search_fields = ["user__name", "user__email", "expertise_text"]
    list_select_related = ["user", "workshop"]
    readonly_fields = ["workshop", "user", "requested_max_load", "load_request_approved"]
    actions = ["approve_load", "refuse_load"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # the member's own page edits the profile; chairs decide load requests

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
    """Set, lift or remove a chair's word on one pair, each through a service that writes
    the activity log. The pair is fixed once set: another pair is another override."""

    policy_permission = "reviews.set_conflict"
    list_display = ["submission", "user", "conflicted", "reason", "set_by", "set_at"]
    list_filter = ["conflicted", "submission__workshop"]
    search_fields = ["user__name", "user__email", "submission__title", "reason"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ["submission", "user", "set_by", "set_at"] if obj else ["set_by", "set_at"]

    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        committee.conflict_override_remove(override=obj, chair=request.user)

    def delete_queryset(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for override in queryset:
            self.delete_model(request, override)

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
    chairs_may_add = False
    chairs_may_delete = False  # a reviewer's own preference; only they change it
    list_display = ["submission", "user", "value", "updated_at"]
    list_filter = ["value", "submission__workshop"]
    search_fields = ["user__name", "user__email", "submission__title"]
    list_select_related = ["submission", "user"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
