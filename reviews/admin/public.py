"""Chair tools for open reviewing: moderating public comments (scoped to the chair's
workshops; every verdict goes through `services.openness.public_comment_moderate`)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from workshop.admin_scoping import ChairScopedAdmin
from workshop.errors import ServiceError
from workshop.plurals import counted

from ..models import PublicComment
from ..services.openness import public_comments_moderate


@admin.register(PublicComment)
class PublicCommentAdmin(ChairScopedAdmin):
    """Public comments on the open forums: held until a chair approves them. Read-only;
    the actions approve or reject (one activity entry per comment)."""

    chairs_may_add = False
    chairs_may_delete = False
    policy_permission = "reviews.moderate_public_comments"
    list_display = ["created_at", "status", "paper", "signature", "excerpt", "moderated_by"]
    list_filter = ["status", "submission__workshop"]
    list_select_related = ["submission__workshop", "moderated_by"]
    search_fields = ["body", "signature", "author__email"]
    readonly_fields = ["submission", "author", "signature", "body", "status", "created_at",
                       "moderated_by", "moderated_at", "forum_link"]  # fmt: skip
    fields = readonly_fields
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def get_actions(self, request):  # type: ignore[no-untyped-def]
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Paper", ordering="submission__number")
    def paper(self, obj: PublicComment) -> str:
        return f"#{obj.submission.number} · {obj.submission.workshop.short_name}"

    @admin.display(description="Comment")
    def excerpt(self, obj: PublicComment) -> str:
        return Truncator(obj.body).chars(80)

    @admin.display(description="Forum")
    def forum_link(self, obj: PublicComment) -> str:
        s = obj.submission
        url = reverse("forum:paper", args=[s.workshop.slug, s.number])
        return format_html('<a href="{}">Public forum of #{}</a>', url, s.number)

    def _moderate(self, request: HttpRequest, queryset: QuerySet, approve: bool) -> None:
        try:
            changed = public_comments_moderate(
                actor=request.user,
                comment_ids=list(queryset.values_list("pk", flat=True)),
                approve=approve,
            )
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        verb = "approved" if approve else "rejected"
        self.message_user(request, f"{counted(changed, 'comment')} {verb}.", messages.SUCCESS)

    @admin.action(description="Approve the selected comments (publish them)")
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._moderate(request, queryset, approve=True)

    @admin.action(description="Reject the selected comments (never shown)")
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._moderate(request, queryset, approve=False)
