"""The decision board: scores next to meta-reviews, decisions set in the list or in bulk,
decision mails composed, previewed and released, reviews released to authors."""

from __future__ import annotations

from statistics import median

from django.contrib import admin, messages
from django.db.models import Avg, Count, FloatField, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe

from submissions.models import DECIDABLE, SubmissionStatus
from workshop.admin_scoping import ChairScopedAdmin, ConfigAdminMixin
from workshop.csvexport import csv_response
from workshop.errors import ServiceError
from workshop.models import MailStatus, OutgoingMail
from workshop.selectors import chaired_workshop_ids

from ..models import Answer, DecisionBoard, DecisionCategory, Outcome, ReviewStatus
from ..services import decisions as decision_services


def _scores(field: str):
    """A per-paper aggregate of submitted recommendation scores, as a sortable subquery."""
    answers = Answer.objects.filter(
        review__assignment__submission=OuterRef("pk"),
        review__status=ReviewStatus.SUBMITTED,
        question__is_recommendation=True,
    ).order_by()
    fn = {"mean": Avg, "low": Min, "high": Max}[field]
    return Subquery(
        answers.values("review__assignment__submission")
        .annotate(x=fn(Cast("value", FloatField())))
        .values("x")[:1]
    )


class DecisionFilter(admin.SimpleListFilter):
    title = "decision"
    parameter_name = "decision"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        categories = DecisionCategory.objects.filter(
            workshop_id__in=chaired_workshop_ids(request.user)
        )
        return [("none", "Not decided"), *((str(c.pk), str(c)) for c in categories)]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "none":
            return queryset.filter(decision__isnull=True)
        if self.value():
            return queryset.filter(decision__category_id=self.value())
        return queryset


@admin.register(DecisionBoard)
class DecisionBoardAdmin(ChairScopedAdmin):
    chairs_may_add = False
    chairs_may_delete = False
    list_display = [
        "workshop_name",
        "number",
        "title",
        "decision_select",
        "mean_score",
        "median_score",
        "score_range",
        "weighted_mean",
        "reviews",
        "meta",
        "flags",
        "type_name",
    ]
    list_display_links = ["number"]
    list_filter = ["workshop", "primary_topic", "submission_type", "status", DecisionFilter]
    search_fields = ["title", "=number", "keywords"]
    ordering = ["workshop", "number"]
    actions = ["accept", "reject", "desk_reject", "export_csv"]
    change_list_template = "admin/reviews/decisionboard/change_list.html"
    list_per_page = 200

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is None and self.may_touch(request, None)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        reviews_done = Count(
            "assignments__review",
            filter=Q(assignments__review__status=ReviewStatus.SUBMITTED),
            distinct=True,
        )
        return (
            super()
            .get_queryset(request)
            .filter(status__in=DECIDABLE)
            .select_related(
                "workshop", "submission_type", "paper", "decision__category", "meta_review"
            )
            .annotate(
                mean=_scores("mean"), low=_scores("low"), high=_scores("high"), done=reviews_done
            )
        )

    def get_changelist_instance(self, request):  # type: ignore[no-untyped-def]
        changelist = super().get_changelist_instance(request)
        self._answers = _answers_by_paper([s.pk for s in changelist.result_list])
        self._categories = {}
        for c in DecisionCategory.objects.filter(
            workshop_id__in={s.workshop_id for s in changelist.result_list}
        ):
            self._categories.setdefault(c.workshop_id, []).append(c)
        return changelist

    @admin.display(description="Workshop", ordering="workshop__short_name")
    def workshop_name(self, obj) -> str:
        return obj.workshop.short_name

    @admin.display(description="Type")
    def type_name(self, obj) -> str:
        return obj.submission_type.name if obj.submission_type else "—"

    @admin.display(description="Mean", ordering="mean")
    def mean_score(self, obj) -> str:
        return f"{obj.mean:.2f}" if obj.mean is not None else "—"

    @admin.display(description="Median")
    def median_score(self, obj) -> str:
        scores = [s for s, _ in self._answers.get(obj.pk, [])]
        return f"{median(scores):g}" if scores else "—"

    @admin.display(description="Min–max", ordering="low")
    def score_range(self, obj) -> str:
        if obj.low is None:
            return "—"
        return f"{obj.low:g}–{obj.high:g}"

    @admin.display(description="Confidence-weighted")
    def weighted_mean(self, obj) -> str:
        pairs = [(s, c) for s, c in self._answers.get(obj.pk, []) if c]
        weight = sum(c for _, c in pairs)
        return f"{sum(s * c for s, c in pairs) / weight:.2f}" if weight else "—"

    @admin.display(description="Reviews", ordering="done")
    def reviews(self, obj) -> str:
        required = obj.workshop.reviews_per_paper
        text = f"{obj.done}/{required}"
        return (
            format_html('<strong style="color:#c62828">{}</strong>', text)
            if obj.done < required
            else text
        )

    @admin.display(description="Meta-review")
    def meta(self, obj) -> str:
        meta = getattr(obj, "meta_review", None)
        return meta.get_recommendation_display() if meta else "—"

    @admin.display(description="Checks")
    def flags(self, obj) -> str:
        if obj.paper and (obj.paper.anonymity_flag or obj.paper.hidden_text_flag):
            found = [
                n
                for n, f in (
                    ("anonymity", obj.paper.anonymity_flag),
                    ("hidden text", obj.paper.hidden_text_flag),
                )
                if f
            ]
            return format_html('<strong style="color:#c62828">{}</strong>', ", ".join(found))
        return ""

    @admin.display(description="Decision")
    def decision_select(self, obj) -> str:
        current = getattr(obj, "decision", None)
        options = [format_html('<option value="">{}</option>', "—")]
        for c in self._categories.get(obj.workshop_id, []):
            selected = current is not None and current.category_id == c.pk
            options.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    c.pk,
                    " selected" if selected else "",
                    c.name,
                )
            )
        return format_html(
            '<select name="decision-{}" form="decisions-form" aria-label="Decision on #{}">'
            "{}</select>",
            obj.pk,
            obj.number,
            mark_safe("".join(str(o) for o in options)),  # each option escaped by format_html
        )

    def get_urls(self):  # type: ignore[no-untyped-def]
        wrap = self.admin_site.admin_view
        return [
            path("save/", wrap(self.save_view), name="reviews_decisions_save"),
            path("mails/<int:workshop_id>/", wrap(self.mails_view), name="reviews_decision_mails"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        chaired = self.chaired_workshops(request)
        for workshop in chaired:
            decision_services.default_categories_create(workshop)
        return super().changelist_view(request, {**(extra_context or {}), "chaired": chaired})

    def save_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return redirect("admin:reviews_decisionboard_changelist")
        board = {s.pk: s for s in self.get_queryset(request)}
        changed, errors = 0, []
        for key, value in request.POST.items():
            suffix = key.removeprefix("decision-")
            if not key.startswith("decision-") or not suffix.isdigit() or not value.isdigit():
                continue  # empty, or not ours: ignored like a stale entry
            submission = board.get(int(suffix))
            # Any category: the service refuses another workshop's with a plain message.
            category = DecisionCategory.objects.filter(pk=value).first()
            if submission is None or category is None:
                continue  # not this chair's paper, or a stale category: ignored
            if (
                getattr(submission, "decision", None)
                and submission.decision.category_id == category.pk
            ):
                continue
            try:
                decision_services.decision_record(
                    submission=submission, category=category, chair=request.user
                )
                changed += 1
            except ServiceError as exc:
                errors.append(f"#{submission.number}: {exc.message}")
        self.message_user(request, f"{changed} decision(s) saved.", messages.SUCCESS)
        for error in errors:
            self.message_user(request, error, messages.ERROR)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:reviews_decisionboard_changelist")
        return redirect(target)

    def _bulk(self, request: HttpRequest, queryset: QuerySet, outcome: str) -> None:
        count = 0
        for submission in queryset:
            try:
                category = decision_services.category_for(submission.workshop, outcome)
                decision_services.decision_record(
                    submission=submission, category=category, chair=request.user
                )
            except ServiceError as exc:
                self.message_user(request, f"#{submission.number}: {exc.message}", messages.ERROR)
                continue
            count += 1
        self.message_user(request, f"{count} paper(s): {Outcome(outcome).label.lower()}.")

    @admin.action(description="Accept the selected papers")
    def accept(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._bulk(request, queryset, Outcome.ACCEPT)

    @admin.action(description="Reject the selected papers")
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._bulk(request, queryset, Outcome.REJECT)

    @admin.action(description="Desk-reject the selected papers")
    def desk_reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._bulk(request, queryset, Outcome.DESK_REJECT)

    @admin.action(description="Export the board as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        answers = _answers_by_paper([s.pk for s in queryset])
        header = [
            "workshop",
            "number",
            "title",
            "type",
            "mean",
            "median",
            "min",
            "max",
            "confidence-weighted mean",
            "reviews done",
            "reviews required",
            "meta-review",
            "decision",
            "anonymity flag",
            "hidden text flag",
        ]
        rows = []
        for s in queryset:
            scores = [x for x, _ in answers.get(s.pk, [])]
            pairs = [(x, c) for x, c in answers.get(s.pk, []) if c]
            weight = sum(c for _, c in pairs)
            meta = getattr(s, "meta_review", None)
            decision = getattr(s, "decision", None)
            rows.append(
                [
                    s.workshop.short_name,
                    s.number,
                    s.title,
                    s.submission_type.name if s.submission_type else "",
                    f"{s.mean:.2f}" if s.mean is not None else "",
                    median(scores) if scores else "",
                    s.low if s.low is not None else "",
                    s.high if s.high is not None else "",
                    f"{sum(x * c for x, c in pairs) / weight:.2f}" if weight else "",
                    s.done,
                    s.workshop.reviews_per_paper,
                    meta.get_recommendation_display() if meta else "",
                    decision.category.name if decision else "",
                    bool(s.paper and s.paper.anonymity_flag),
                    bool(s.paper and s.paper.hidden_text_flag),
                ]
            )
        return csv_response("decision-board.csv", header, rows)

    def mails_view(self, request: HttpRequest, workshop_id: int) -> HttpResponse:
        """Compose, preview and release decision mails; release reviews to authors."""
        workshop = self.chaired_workshop(request, workshop_id)
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "compose":
                count = decision_services.decision_mails_compose(
                    workshop=workshop,
                    chair=request.user,
                    include_reviews=request.POST.get("include_reviews") == "on",
                )
                self.message_user(request, f"{count} decision mail(s) composed and held.")
            elif action == "release":
                count = decision_services.decisions_release(workshop=workshop, chair=request.user)
                self.message_user(
                    request,
                    f"{count} decision mail(s) released; decisions are now visible to authors.",
                    messages.SUCCESS,
                )
            elif action in ("release_reviews", "hide_reviews"):
                decision_services.reviews_release(
                    workshop=workshop, chair=request.user, released=action == "release_reviews"
                )
                self.message_user(
                    request,
                    "Reviews are now visible to authors."
                    if action == "release_reviews"
                    else "Reviews hidden again.",
                )
            return redirect("admin:reviews_decision_mails", workshop.pk)
        workshop.refresh_from_db()
        held = OutgoingMail.objects.filter(
            workshop=workshop, kind="decision", status=MailStatus.HELD
        ).order_by("subject", "to")
        wanted = request.GET.get("preview", "")
        preview = (held.filter(pk=wanted).first() if wanted.isdigit() else None) or held.first()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Decision mails of {workshop.short_name}",
            "workshop": workshop,
            "held": held,
            "preview": preview,
            "sent": OutgoingMail.objects.filter(
                workshop=workshop, kind="decision", status=MailStatus.SENT
            ).count(),
            "undecided": DecisionBoard.objects.filter(
                workshop=workshop, status=SubmissionStatus.SUBMITTED, decision__isnull=True
            ).count(),
            "categories": workshop.decision_categories.all(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reviews/decision_mails.html", context)


def _answers_by_paper(ids: list[int]) -> dict[int, list[tuple[float, float | None]]]:
    """(score, confidence) per submitted review, per paper, in two queries."""
    scores: dict[int, float] = {}
    confidence: dict[int, float] = {}
    paper_of: dict[int, int] = {}
    for review_id, sid, value, is_rec in (
        Answer.objects.filter(
            review__assignment__submission_id__in=ids,
            review__status=ReviewStatus.SUBMITTED,
        )
        .filter(Q(question__is_recommendation=True) | Q(question__is_confidence=True))
        .values_list(
            "review_id", "review__assignment__submission_id", "value", "question__is_recommendation"
        )
    ):
        if not isinstance(value, int | float):
            continue
        paper_of[review_id] = sid
        (scores if is_rec else confidence)[review_id] = float(value)
    out: dict[int, list[tuple[float, float | None]]] = {}
    for review_id, score in scores.items():
        out.setdefault(paper_of[review_id], []).append((score, confidence.get(review_id)))
    return out


@admin.register(DecisionCategory)
class DecisionCategoryAdmin(ConfigAdminMixin, ChairScopedAdmin):
    """Decision categories and their mail templates, with {placeholders}: {workshop},
    {number}, {title}, {decision}, {authors}, {reviews}, {link}."""

    list_display = ["name", "workshop", "outcome", "order"]
    list_filter = ["workshop", "outcome"]
