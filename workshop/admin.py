"""The core app in the admin: workshops and their settings, topics, roles, the outbox
and the activity log, each scoped to the chair's workshops (`admin_scoping`)."""

from __future__ import annotations

import datetime as dt
import json

from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, escape, format_html
from django.utils.text import Truncator

from workshop.plurals import counted

from . import services
from .admin_forms import WorkshopSettingsForm
from .admin_rows import OneLoopRows
from .admin_scoping import (
    ChairScopedAdmin,
    ChairScopedInline,
    ConfigAdminMixin,
    ForgedChangelistInput,
    OneWorkshopAtATime,
    ScopedValuesFilter,
    ScrollingTabularInline,
)
from .csvexport import csv_response
from .errors import ServiceError
from .models import Activity, MailStatus, Membership, OutgoingMail, Topic, User, Workshop
from .phases import current_phase
from .services import membership_grant, membership_revoke
from .validators import OneLineAdmin

admin.site.site_header = "Workshop chair tools"
admin.site.site_title = "Chair tools"
admin.site.index_title = "Your workshops"


@admin.register(User)
class UserAdmin(ForgedChangelistInput, OneLineAdmin, DjangoUserAdmin):
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


# allauth's address list (superusers only), with the same guard on forged changelist input.
admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(ForgedChangelistInput, AllauthEmailAddressAdmin):
    pass


class TopicInline(ChairScopedInline, ScrollingTabularInline):
    model = Topic
    extra = 0
    fields = ["order", "name", "description"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}
    }


def _admin_link(name: str, *args: object, query: str = "") -> str:
    """An admin URL, or "" where the app that serves it is not installed."""
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return ""


@admin.register(Workshop)
class WorkshopAdmin(ConfigAdminMixin, ChairScopedAdmin):
    """Settings and milestones (saved through `config_save`: one activity entry per save).

    The release switches are read-only here: releasing reviews and decisions is an action
    with side effects (held mails go out), done on the decision mails page.
    """

    chairs_may_add = False
    chairs_may_delete = False
    form = WorkshopSettingsForm
    list_display = ["short_name", "name", "phase", "paper_deadline", "anonymity"]
    search_fields = ["name", "short_name", "slug"]
    prepopulated_fields = {"slug": ("short_name",)}
    inlines = [TopicInline]
    readonly_fields = ["reviews_released", "decisions_released", "release_controls",
                       "activity_link"]  # fmt: skip
    fieldsets = (
        (None, {"fields": ("name", "short_name", "slug", "contact_email", "is_public",
                           "call_for_papers", "authors_withdraw_anytime")}),
        ("Reviewing", {"fields": ("anonymity", "reviews_per_paper", "other_reviews_visibility",
                                  "page_limit", "upload_limit_mb", "openness",
                                  "review_llm_policy", "review_min_words",
                                  "review_copy_canary")}),
        ("Milestones (in the time zone chosen here; stored in UTC, shown to people in AoE)",
         {"fields": (
            "deadline_timezone", "submission_opens", "abstract_deadline", "paper_deadline",
            "supplementary_deadline", "bidding_deadline", "review_deadline",
            "rebuttal_opens", "rebuttal_closes", "discussion_ends", "notification_date",
            "camera_ready_deadline", "grace_minutes")}),
        ("Release switches", {"fields": ("reviews_released", "decisions_released",
                                         "release_controls")}),
        ("Activity", {"fields": ("activity_link",)}),
    )  # fmt: skip

    class Media:
        # The milestones' UTC line and the viewer's local time, live as the chair types.
        js = ["js/admin-deadlines.js"]

    @admin.display(description="Phase")
    def phase(self, obj: Workshop) -> str:
        return current_phase(obj).label

    @admin.display(description="Release")
    def release_controls(self, obj: Workshop) -> str:
        url = _admin_link("admin:reviews_decision_mails", obj.pk) if obj.pk else ""
        if not url:
            return "—"
        return format_html(
            '<a class="button" href="{}">Release reviews or decisions</a> '
            "(composes, previews and sends the held decision mails)",
            url,
        )

    @admin.display(description="Activity log")
    def activity_link(self, obj: Workshop) -> str:
        if not obj.pk:
            return "—"
        url = _admin_link(
            "admin:workshop_activity_changelist", query=f"?workshop__id__exact={obj.pk}"
        )
        return format_html('<a href="{}">Activity of this workshop</a>', url)


@admin.register(Topic)
class TopicAdmin(ConfigAdminMixin, ChairScopedAdmin):
    list_display = ["name", "workshop", "order"]
    list_filter = ["workshop"]
    search_fields = ["name", "description"]


@admin.register(Membership)
class MembershipAdmin(ChairScopedAdmin):
    """Chairs see and remove their committee here; they add people by invitation.

    Nothing is edited in place: a role is given (`membership_grant`, superusers only here)
    or removed (`membership_revoke`, which also drops admin access with the last chair
    role), each writing one activity entry.
    """

    chairs_may_add = False
    policy_permission = "workshop.manage_members"
    list_display = ["user", "workshop", "role", "created_at"]
    list_filter = ["workshop", "role"]
    search_fields = ["user__name", "user__email"]
    list_select_related = ["user", "workshop"]
    raw_id_fields = ["user"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        saved = membership_grant(
            workshop=obj.workshop, user=obj.user, role=obj.role, actor=request.user
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        membership_revoke(workshop=obj.workshop, user=obj.user, role=obj.role, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for membership in queryset.select_related("workshop", "user"):
            self.delete_model(request, membership)


def _target_text(obj: OutgoingMail | Activity) -> str:
    if obj.target_type_id is None:
        return "—"
    return f"{obj.target_type.name} {obj.target_id}"


def _paper_link(obj: OutgoingMail | Activity, label: str = "") -> str:
    """What a mail or entry concerns, linked to its paper's admin page where it has one."""
    label = label or _target_text(obj)
    url = (
        _admin_link("admin:submissions_submission_change", obj.submission_id)
        if obj.submission_id
        else ""
    )
    return format_html('<a href="{}">{}</a>', url, label) if url else label


@admin.register(OutgoingMail)
class OutgoingMailAdmin(OneWorkshopAtATime, OneLoopRows, ChairScopedAdmin):
    """The outbox, read-only: mails are released or retried by actions. `?submission_id=`
    shows every mail about one paper (the paper's change page links here)."""

    chairs_may_add = False
    chairs_may_delete = False
    policy_permission = "workshop.view_outbox"
    list_display = ["subject_line", "to", "kind", "status", "concerning", "attempts",
                    "created_at", "sent_at"]  # fmt: skip
    list_display_links = ["subject_line"]
    # No date drill-down: it reads every mail's date to offer the years and months. The
    # `(workshop, created_at)` index serves the page; the kinds are the shown workshop's.
    list_filter = ["status", ("kind", ScopedValuesFilter), "workshop"]
    list_select_related = ["target_type"]
    search_fields = ["to", "subject", "key"]
    actions = ["release_held", "retry_now"]
    readonly_fields = [*(f.name for f in OutgoingMail._meta.fields), "body"]
    # The mail's page reads like the mail: who, what, then the text to proofread (a held
    # mail's body before its release); the HTML part is the same text, escaped, not shown.
    fieldsets = (
        (None, {"fields": ("to", "reply_to", "subject", "body")}),
        ("Delivery", {"fields": ("workshop", "recipient", "kind", "status", "attempts",
                                 "last_error", "created_at", "next_attempt_at", "claimed_at",
                                 "sent_at", "key")}),
    )  # fmt: skip

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def lookup_allowed(self, lookup, value, request=None) -> bool:  # type: ignore[no-untyped-def]
        return lookup == "submission_id" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="Text")
    def body(self, obj: OutgoingMail) -> str:
        """The plain-text body as the recipient reads it (line breaks and all)."""
        return format_html('<pre class="outbox-body">{}</pre>', obj.body_text)

    @admin.display(description="Concerning")
    def concerning(self, obj: OutgoingMail) -> str:
        return _paper_link(obj)

    def row_label(self, obj: OutgoingMail) -> str:
        return obj.subject

    def row_cells(self, obj: OutgoingMail, change_url: str) -> str:
        """One row's cells (`OneLoopRows`), the same as `list_display` would print."""

        def when(value: dt.datetime | None) -> str:
            return formats.localize(timezone.localtime(value)) if value else "-"

        subject = escape(obj.subject)
        return (
            f'<th class="field-subject_line"><a href="{change_url}"><span class="desk-subject" '
            f'title="{subject}">{subject}</span></a></th>'
            f'<td class="field-to">{escape(obj.to)}</td>'
            f'<td class="field-kind">{escape(obj.kind)}</td>'
            f'<td class="field-status">{escape(obj.get_status_display())}</td>'
            f'<td class="field-concerning">{conditional_escape(self.concerning(obj))}</td>'
            f'<td class="field-attempts">{obj.attempts}</td>'
            f'<td class="field-created_at nowrap">{when(obj.created_at)}</td>'
            f'<td class="field-sent_at nowrap">{when(obj.sent_at)}</td>'
        )

    @admin.display(description="Subject", ordering="subject")
    def subject_line(self, obj: OutgoingMail) -> str:
        """One line per mail (the whole subject on hover and on the mail's page)."""
        return format_html('<span class="desk-subject" title="{}">{}</span>', obj.subject,
                           obj.subject)  # fmt: skip

    class Media:
        css = {"all": ["css/admin-desk.css", "css/admin-mail.css"]}

    @admin.action(description="Release the selected held mail")
    def release_held(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        try:
            moved = services.outbox_release(
                actor=request.user, mail_ids=list(queryset.values_list("pk", flat=True))
            )
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request, f"{counted(moved, 'message')} released for delivery.", messages.SUCCESS
        )

    @admin.action(description="Retry the selected failed or queued mail now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        ids = list(
            queryset.filter(status__in=[MailStatus.FAILED, MailStatus.QUEUED]).values_list(
                "pk", flat=True
            )
        )
        try:
            moved = services.outbox_retry(actor=request.user, mail_ids=ids)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"{counted(moved, 'message')} queued again.", messages.SUCCESS)


def _changes(obj: Activity) -> str:
    """ "field: before → after" for each field the entry names, on one line."""
    before, after = obj.before or {}, obj.after or {}
    if not before and not after:
        return "—"
    if not isinstance(before, dict) or not isinstance(after, dict):
        return json.dumps({"before": before, "after": after}, default=str)
    parts = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key, "—"), after.get(key, "—")
        parts.append(f"{key}: {old} → {new}")
    return "; ".join(parts)


@admin.register(Activity)
class ActivityAdmin(ChairScopedAdmin):
    """The activity log for chairs: who did what, to which object, and why, per workshop
    (filter) and per paper (`?submission_id=`, linked from the paper's change page).
    Read-only; written only by the actions (`workshop.activity.activity_record`)."""

    policy_permission = "workshop.view_activity"
    # Compact columns: the before/after values and the reason are on each entry's page.
    list_display = ["when", "actor_name", "action", "concerning", "summary"]
    list_display_links = ["when"]
    fields = ["at", "workshop", "actor_name", "action", "concerning", "summary", "changes",
              "reason", "authors_see"]  # fmt: skip
    readonly_fields = fields
    list_filter = ["workshop", "action", "actor"]
    list_select_related = ["actor", "target_type", "workshop"]
    search_fields = ["summary", "target_label", "reason"]
    date_hierarchy = "at"
    actions = ["export_csv"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def lookup_allowed(self, lookup, value, request=None) -> bool:  # type: ignore[no-untyped-def]
        return lookup == "submission_id" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="When (UTC)", ordering="at")
    def when(self, obj: Activity) -> str:
        return obj.at.astimezone(dt.UTC).strftime("%-d %b %Y %H:%M")

    @admin.display(description="Who", ordering="actor__name")
    def actor_name(self, obj: Activity) -> str:
        return (obj.actor.name or obj.actor.email) if obj.actor_id else "system"

    @admin.display(description="Object", ordering="target_label")
    def concerning(self, obj: Activity) -> str:
        return _paper_link(obj, Truncator(obj.target_label).chars(36))

    @admin.display(description="Before → after")
    def changes(self, obj: Activity) -> str:
        return _changes(obj)

    @admin.action(description="Export the selected entries as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Activity]) -> HttpResponse:
        header = ["at", "workshop", "who", "action", "object", "paper id", "summary", "before",
                  "after", "reason"]  # fmt: skip
        rows = (
            [
                a.at.isoformat(),
                a.workshop.short_name if a.workshop else "",
                a.actor_label,
                a.action,
                a.target_label,
                a.submission_id or "",
                a.summary,
                json.dumps(a.before, default=str) if a.before is not None else "",
                json.dumps(a.after, default=str) if a.after is not None else "",
                a.reason,
            ]
            for a in queryset.select_related("actor", "workshop").order_by("-at", "-pk")
        )
        return csv_response("activity.csv", header, rows)


from . import admin_tracks  # noqa: E402, F401 - registers the tracks' admin (issue 27)
