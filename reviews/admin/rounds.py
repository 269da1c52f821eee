"""Chair tools for review rounds and response rounds (issue 27, parts 2 and 3): every save
goes through `reviews.services.rounds` (one activity entry per change)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from workshop.admin_scoping import ChairScopedAdmin
from workshop.errors import ServiceError
from workshop.plurals import counted

from ..models import PaperRound, ResponseRound, ReviewRound
from ..services import rounds as round_services


class ServiceSavedAdmin(ChairScopedAdmin):
    """A ModelAdmin whose form asks the service (in `clean`, inside no transaction of its
    own: the service's atomic block is the admin's) and shows its refusal on the form."""

    policy_permission = "reviews.manage_rounds"

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change, **kwargs)
        admin_self = self

        class Saved(form):  # type: ignore[misc, valid-type]
            def clean(self):  # type: ignore[no-untyped-def]
                cleaned = super().clean()
                if not self.errors:
                    try:
                        self.instance = admin_self.service_save(request, self.instance, cleaned)
                    except ServiceError as exc:
                        raise forms.ValidationError(exc.message) from exc
                return cleaned

        return Saved

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        """Saved by the form's `clean` through the service already."""

    def save_related(self, request, form, formsets, change) -> None:  # type: ignore[no-untyped-def]
        """No relations of their own."""

    def service_save(self, request: HttpRequest, instance, cleaned: dict):  # type: ignore[no-untyped-def]
        raise NotImplementedError


@admin.register(ReviewRound)
class ReviewRoundAdmin(ServiceSavedAdmin):
    """Review rounds: round 1 takes the workshop's review deadline unless it sets one; a
    later round has its own deadlines and the deadline of the revised versions."""

    list_display = ["name", "workshop", "number", "review_deadline", "review_hard_deadline",
                    "resubmission_deadline"]  # fmt: skip
    list_filter = ["workshop"]
    fields = ["workshop", "name", "review_deadline", "review_hard_deadline",
              "resubmission_deadline"]  # fmt: skip
    chairs_may_delete = False

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ["workshop"] if obj else []

    def service_save(self, request, instance, cleaned):  # type: ignore[no-untyped-def]
        values = {f: cleaned.get(f) for f in round_services.ROUND_FIELDS}
        if instance.pk:
            return round_services.review_round_update(
                review_round=instance, chair=request.user, **values
            )
        return round_services.review_round_create(
            workshop=cleaned["workshop"], chair=request.user, **values
        )


@admin.register(ResponseRound)
class ResponseRoundAdmin(ServiceSavedAdmin):
    """Author response rounds: when, how long, and for which papers (a desk search)."""

    list_display = ["name", "workshop", "opens", "closes", "words_soft", "words_hard",
                    "condition"]  # fmt: skip
    list_filter = ["workshop"]
    fields = ["workshop", "name", "opens", "closes", "words_soft", "words_hard", "condition"]
    chairs_may_delete = False

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ["workshop"] if obj else []

    def service_save(self, request, instance, cleaned):  # type: ignore[no-untyped-def]
        values = {f: cleaned.get(f) for f in round_services.RESPONSE_FIELDS}
        values["words_soft"] = values["words_soft"] or 0
        values["words_hard"] = values["words_hard"] or 0
        values["condition"] = values["condition"] or ""
        return round_services.response_round_save(
            workshop=instance.workshop if instance.pk else cleaned["workshop"],
            chair=request.user,
            response_round=instance if instance.pk else None,
            **values,
        )


@admin.register(PaperRound)
class PaperRoundAdmin(ChairScopedAdmin):
    """Papers sent to a later round (from the decision desk, with a "revise and resubmit"
    category); the action assigns each one's reviewers again in its round."""

    policy_permission = "reviews.send_to_round"
    chairs_may_add = False
    chairs_may_delete = False
    list_display = ["submission", "round", "category_name", "sent_by", "sent_at"]
    list_filter = ["round__workshop", "round"]
    readonly_fields = ["submission", "round", "category_name", "sent_by", "sent_at",
                       "previous_paper"]  # fmt: skip
    actions = ["assign_same_reviewers"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is None and super().has_change_permission(request, obj)

    @admin.action(description="Assign the same reviewers again in the paper's round")
    def assign_same_reviewers(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for sent in queryset.select_related("submission"):
            try:
                done += len(
                    round_services.round_reviewers_assign(
                        submission=sent.submission, chair=request.user
                    )
                )
            except ServiceError as exc:
                self.message_user(request, f"#{sent.submission.number}: {exc.message}",
                                  messages.ERROR)  # fmt: skip
        self.message_user(request, f"{counted(done, 'assignment')} made.", messages.SUCCESS)
