from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from . import outbox
from .admin_scoping import ChairScopedAdmin, ChairScopedInline
from .models import MailStatus, Membership, OutgoingMail, Topic, User, Workshop
from .phases import current_phase

admin.site.site_header = "Workshop chair tools"
admin.site.site_title = "Chair tools"
admin.site.index_title = "Your workshops"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Superusers only: chairs manage people through memberships and invitations."""

    ordering = ["email"]
    list_display = ["email", "name", "affiliation", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "name", "affiliation"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "affiliation", "orcid", "dblp_url",
                                "semantic_scholar_url", "homepage")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )  # fmt: skip
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),
    )


class TopicInline(ChairScopedInline, admin.TabularInline):
    model = Topic
    extra = 0
    fields = ["order", "name", "description"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}
    }


@admin.register(Workshop)
class WorkshopAdmin(ChairScopedAdmin):
    chairs_may_add = False
    chairs_may_delete = False
    list_display = ["short_name", "name", "phase", "paper_deadline", "anonymity"]
    search_fields = ["name", "short_name", "slug"]
    prepopulated_fields = {"slug": ("short_name",)}
    inlines = [TopicInline]
    fieldsets = (
        (None, {"fields": ("name", "short_name", "slug", "contact_email", "is_public",
                           "call_for_papers")}),
        ("Reviewing", {"fields": ("anonymity", "reviews_per_paper", "other_reviews_visibility",
                                  "page_limit", "upload_limit_mb")}),
        ("Milestones (UTC; shown to people in AoE)", {"fields": (
            "submission_opens", "abstract_deadline", "paper_deadline",
            "supplementary_deadline", "bidding_deadline", "review_deadline",
            "rebuttal_opens", "rebuttal_closes", "discussion_ends", "notification_date",
            "camera_ready_deadline", "grace_minutes")}),
        ("Release switches", {"fields": ("reviews_released", "decisions_released")}),
    )  # fmt: skip

    @admin.display(description="Phase")
    def phase(self, obj: Workshop) -> str:
        return current_phase(obj).label


@admin.register(Topic)
class TopicAdmin(ChairScopedAdmin):
    list_display = ["name", "workshop", "order"]
    list_filter = ["workshop"]
    search_fields = ["name", "description"]


@admin.register(Membership)
class MembershipAdmin(ChairScopedAdmin):
    """Chairs see and remove their committee here; they add people by invitation."""

    chairs_may_add = False
    list_display = ["user", "workshop", "role", "created_at"]
    list_filter = ["workshop", "role"]
    search_fields = ["user__name", "user__email"]
    list_select_related = ["user", "workshop"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [] if request.user.is_superuser else ["user", "workshop"]


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ChairScopedAdmin):
    chairs_may_add = False
    chairs_may_delete = False
    list_display = ["subject", "to", "kind", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind", "workshop"]
    search_fields = ["to", "subject", "key"]
    date_hierarchy = "created_at"
    actions = ["release_held", "retry_now"]
    readonly_fields = [f.name for f in OutgoingMail._meta.fields]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.action(description="Release the selected held mail")
    def release_held(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        moved = outbox.mails_release(queryset.values_list("pk", flat=True))
        self.message_user(request, f"{moved} message(s) released for delivery.", messages.SUCCESS)

    @admin.action(description="Retry the selected failed or queued mail now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        ids = list(
            queryset.filter(status__in=[MailStatus.FAILED, MailStatus.QUEUED]).values_list(
                "pk", flat=True
            )
        )
        outbox.mails_retry(ids)
        self.message_user(request, f"{len(ids)} message(s) queued again.", messages.SUCCESS)
