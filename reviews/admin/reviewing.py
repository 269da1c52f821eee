"""Chair tools for reviewing: the review form, reviews and progress."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from workshop.admin_scoping import ChairScopedAdmin, ConfigAdminMixin
from workshop.plurals import counted
from workshop.validators import whole_number

from ..models import (
    Review,
    ReviewQuestion,
)
from ..selectors import progress as progress_selectors
from ..services import reviewing as reviewing_services


def _page(raw: str | None) -> int:
    return whole_number(raw, max_digits=9) or 1


@admin.register(ReviewQuestion)
class ReviewQuestionAdmin(ConfigAdminMixin, ChairScopedAdmin):
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

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        reviewing_services.review_question_save(actor=request.user, question=obj)

    def get_actions(self, request):  # type: ignore[no-untyped-def]
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleting answered questions must not be bulk
        return actions

    @admin.action(description="Create the default review form for the workshops of the selection")
    def create_default_form(self, request: HttpRequest, queryset: QuerySet) -> None:
        for workshop in self.chaired_workshops(request):
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

    chairs_may_add = False
    chairs_may_delete = False
    list_display = ["assignment", "status", "version", "updated_at", "submitted_at", "llm_use"]
    list_filter = ["status", "llm_use", "assignment__submission__workshop"]
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
            path("reminders/<int:workshop_id>/", wrap(self.reminders_view),
                 name="reviews_reminders"),
            *super().get_urls(),
        ]  # fmt: skip

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        chaired = self.chaired_workshops(request)
        return super().changelist_view(request, {**(extra_context or {}), "chaired": chaired})

    def progress_view(self, request: HttpRequest, workshop_id: int) -> HttpResponse:
        workshop = self.chaired_workshop(request, workshop_id)
        if request.method == "POST" and request.POST.get("action") == "remind":
            count = reviewing_services.late_reviewers_remind(workshop=workshop, chair=request.user)
            self.message_user(request, f"{counted(count, 'reviewer')} reminded.", messages.SUCCESS)
            return redirect("admin:reviews_progress", workshop.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review progress of {workshop.short_name}",
            "workshop": workshop,
            "progress": progress_selectors.review_progress(
                workshop,
                page=_page(request.GET.get("p")),
                reviewer_page=_page(request.GET.get("rp")),
            ),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reviews/progress.html", context)

    def reminders_view(self, request: HttpRequest, workshop_id: int) -> HttpResponse:
        """Upcoming reminders, and the kinds the chairs switch off for this workshop."""
        from ..reminders import KINDS, planned_reminders, reminders_configure, upcoming

        workshop = self.chaired_workshop(request, workshop_id)
        if request.method == "POST":
            reminders_configure(
                workshop=workshop,
                chair=request.user,
                enabled={k for k in KINDS if request.POST.get(f"kind-{k}") == "on"},
            )
            self.message_user(request, "Reminder settings saved.", messages.SUCCESS)
            return redirect("admin:reviews_reminders", workshop.pk)
        now = timezone.now()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reminders of {workshop.short_name}",
            "workshop": workshop,
            "kinds": [
                (k, label, k not in (workshop.reminders_disabled or []))
                for k, label in KINDS.items()
            ],
            "upcoming": upcoming(workshop, now),
            "due_now": [(p.kind, len(p.recipients)) for p in planned_reminders(workshop, now)],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reviews/reminders.html", context)
