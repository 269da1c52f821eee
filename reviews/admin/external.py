"""Chair tools for external reviewers (issue 28): the workshop's choices, and the requests,
with the held ones released or refused by a chair."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from workshop.admin_scoping import ChairScopedAdmin, ConfigAdminMixin
from workshop.errors import ServiceError

from ..models import ExternalReviewRequest, ExternalReviewSettings
from ..services import external


@admin.register(ExternalReviewSettings)
class ExternalReviewSettingsAdmin(ConfigAdminMixin, ChairScopedAdmin):
    list_display = ["workshop", "policy", "counting", "sees_discussion", "emergency_days"]
    chairs_may_delete = False


@admin.register(ExternalReviewRequest)
class ExternalReviewRequestAdmin(ChairScopedAdmin):
    list_display = ["paper", "email", "name", "requester", "status", "held_because", "emergency",
                    "due_at", "counts"]  # fmt: skip
    list_filter = ["status", "emergency", "counts"]
    search_fields = ["email", "name", "submission__title"]
    list_select_related = ["submission", "requester"]
    actions = ["release", "refuse", "withdraw"]
    exclude = ["accept_hash", "decline_hash"]
    chairs_may_add = False
    chairs_may_delete = False  # refusing keeps the record of who was asked

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.display(description="Paper", ordering="submission__number")
    def paper(self, obj: ExternalReviewRequest) -> str:
        return f"#{obj.submission.number} {obj.submission.title}"

    @admin.display(description="Held because")
    def held_because(self, obj: ExternalReviewRequest) -> str:
        words = {"approval": "the chairs approve each request"}
        return "; ".join(words.get(r, f"possible conflict: {r}") for r in obj.hold_reasons)

    @admin.action(description="Release the selected held requests (send the invitations)")
    def release(self, request: HttpRequest, queryset: QuerySet[ExternalReviewRequest]) -> None:
        done = 0
        for found in queryset:
            try:
                external.external_request_release(request=found, chair=request.user)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{found.email}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} released; their invitations are sent.",
                          messages.SUCCESS)  # fmt: skip

    @admin.action(description="Refuse the selected held requests")
    def refuse(self, request: HttpRequest, queryset: QuerySet[ExternalReviewRequest]) -> None:
        done = 0
        for found in queryset:
            try:
                external.external_request_refuse(request=found, chair=request.user)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{found.email}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} refused; nothing was sent.", messages.SUCCESS)

    @admin.action(description="Withdraw the selected requests not answered yet")
    def withdraw(self, request: HttpRequest, queryset: QuerySet[ExternalReviewRequest]) -> None:
        done = 0
        for found in queryset:
            try:
                external.external_request_withdraw(request=found, actor=request.user)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{found.email}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} withdrawn; their links no longer work.",
                          messages.SUCCESS)  # fmt: skip
