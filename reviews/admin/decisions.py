"""The decision board: scores next to meta-reviews, decisions set in the list or in bulk
(with an undo), the chairs' search language and saved searches, plots, the CSV export;
decision mails composed, previewed and released, reviews released to authors.

The board is an admin page, but not the changelist: it asks `reviews.selectors.board` for
one page (a constant number of queries at any size and depth) and renders the rows in one
template loop.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from submissions.models import DECIDABLE, Submission, SubmissionStatus, SubmissionType
from submissions.selectors_fields import FieldTable, field_cells, field_table
from workshop.admin_scoping import ChairScopedAdmin, ConfigAdminMixin
from workshop.csvexport import csv_response
from workshop.errors import ServiceError
from workshop.models import MailStatus, OutgoingMail, Topic, Workshop
from workshop.phases import most_pressing
from workshop.plurals import counted
from workshop.search import SearchContext, SearchError, search_compile, search_keywords
from workshop.selectors import chaired_workshop_ids
from workshop.tracks import WHOLE_WORKSHOP, chair_scope, chaired_tracks, papers_in_scope
from workshop.validators import whole_number

from .. import search as _search_keywords  # noqa: F401 - registers the search keywords
from ..models import DecisionBoard, DecisionCategory, LlmUse, Outcome, ReviewFlag, SavedSearch
from ..plots import desk_plots
from ..selectors.board import (
    PAGE_SIZE,
    SORTS,
    BoardRow,
    board_export_rows,
    board_page,
    board_papers,
    board_rows,
)
from ..selectors.flags import flag_label, review_flags_for, review_flags_in_workshop
from ..services import decisions as decision_services
from ..services import rounds as round_services
from ..services import searches as search_services
from .mail import MailComposeViews
from .tags import desk_tag_cells

UNDO_SECONDS = 300  # how long the board offers to undo its last bulk action
UNDO_KEY = "decision_desk_undo"
# A bulk action names a category (`category-<id>`, the board's buttons) or, from scripts
# and old forms, an outcome: refused where several categories share it (`bulk_category`).
BULK_OUTCOMES = frozenset(Outcome.values)
BULK_CATEGORY = "category-"
DESK_WORKSHOP_KEY = "desk_workshop"
# The board's columns: (key, label, sort key or "").
COLUMNS = [
    ("number", "#", "number"),
    ("title", "Title", "title"),
    ("decision", "Decision", "decision"),
    ("mean", "Mean", "mean"),
    ("median", "Median", "median"),
    ("range", "Min–max", "low"),
    ("spread", "Spread", "spread"),
    ("weighted", "Weighted", "weighted"),
    ("reviews", "Reviews", "done"),
    ("meta", "Meta-review", ""),
    ("topic", "Topic", "topic"),
    ("type", "Type", "type"),
    ("status", "Status", "status"),
    ("flags", "Checks", ""),
    ("llm", "LLM use", ""),
    ("fields", "Custom fields", ""),
    ("tags", "Tags and votes", ""),
    ("round", "Round", ""),
]
FILTERS = ("q", "topic", "type", "decision", "status")
# The columns always shown; the chair picks the others (kept in the session).
FIXED_COLUMNS = ("number", "title", "decision")
DESK_COLUMNS_KEY = "desk_columns"


def _int(value: Any, default: int | None = None) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def _bulk_choice(action: str) -> dict[str, str]:
    """What a bulk action names, as `bulk_category` takes it (a category id, or an
    outcome from scripts and old forms), or {} for anything else."""
    if action.startswith(BULK_CATEGORY) and action.removeprefix(BULK_CATEGORY).isdigit():
        return {"category": action.removeprefix(BULK_CATEGORY)}
    return {"outcome": action} if action in BULK_OUTCOMES else {}


def _float(value: Any) -> float | None:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


def _num(value: float | None, places: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:.{places}f}" if places else f"{value:g}"


# One cell per column, in COLUMNS order; a page's row template joins the cells of the
# columns the chair shows (`row_template`), then every row fills it once.
CELLS = {
    "number": '<th class="field-number desk-col-number" scope="row"><a href="{change}{pk}/change/">'
    "{number}</a></th>",
    "title": '<td class="field-title desk-col-title">{title}</td>',
    "decision": '<td class="field-decision_select"><select name="decision-{pk}" '
    'aria-label="Decision on #{number}">{options}</select></td>',
    "mean": '<td class="field-mean_score num">{mean}</td>',
    "median": '<td class="field-median_score num">{median}</td>',
    "range": '<td class="field-score_range num">{range}</td>',
    "spread": '<td class="field-spread num">{spread}</td>',
    "weighted": '<td class="field-weighted_mean num">{weighted}</td>',
    "reviews": '<td class="field-reviews num{missing}">{reviews}</td>',
    "meta": '<td class="field-meta">{meta}</td>',
    "topic": '<td class="field-topic">{topic}</td>',
    "type": '<td class="field-type_name">{type}</td>',
    "status": '<td class="field-status">{status}</td>',
    "flags": '<td class="field-flags">{flags}</td>',
    "llm": '<td class="field-llm">{llm}</td>',
    "fields": '<td class="field-custom">{fields}</td>',
    "tags": '<td class="field-tags">{tags}</td>',
    "round": '<td class="field-round num">{round}</td>',
}
ROW_START = (
    '<tr><td class="desk-pick"><input type="checkbox" name="ids" value="{pk}" '
    'aria-label="Tick #{number}"></td>'
)


def row_template(shown: Iterable[str]) -> str:
    """The row of a page showing these columns (COLUMNS' keys), as one format string."""
    keep = set(shown)
    return ROW_START + "".join(CELLS[key] for key, _, _ in COLUMNS if key in keep) + "</tr>"


DISAGREEMENT = (
    ' <span class="desk-flag" title="the scores disagree">⚑'
    '<span class="visually-hidden"> disagreement</span></span>'
)


# The desk's short words for each declared LLM use (issue 26); the CSV has the labels.
LLM_WORDS = {LlmUse.NO: "no", LlmUse.LANGUAGE: "language", LlmUse.YES: "yes", "": "not declared"}


def llm_cell(row: BoardRow) -> str:
    """The paper's declarations on the desk: "A no · B yes (statement)"; a "yes" beyond
    language editing stands out. Escaped here (the row is marked safe)."""
    parts = []
    for pseudonym, use, statement in row.llm_uses:
        word = escape(LLM_WORDS.get(use, use))
        if use == LlmUse.YES:
            word = f'<strong class="desk-missing">{word}</strong>'
        parts.append(f"{escape(pseudonym)} {word}" + (" (statement)" if statement else ""))
    return " · ".join(parts) or "—"


def llm_csv(row: BoardRow) -> tuple[str, str]:
    """The declarations and the statements for the CSV: "A: No; B: Yes, ..."."""
    uses = "; ".join(
        f"{pseudonym}: {LlmUse(use).label if use else 'not declared'}"
        for pseudonym, use, _ in row.llm_uses
    )
    statements = "; ".join(f"{pseudonym}: {statement}"
                           for pseudonym, _, statement in row.llm_uses if statement)  # fmt: skip
    return uses, statements


def review_flag_badges(flags: Iterable[ReviewFlag]) -> str:
    """The chairs' badges for a paper's review flags (issue 26): the reason, and a link to
    the paper whose review this one matches. Escaped here (the row is marked safe)."""
    badges = []
    for flag in flags:
        badge = f'<span class="desk-flag review-flag">⚑ {escape(flag_label(flag))}</span>'
        matched = flag.matched_review
        if matched is not None:
            paper = matched.assignment.submission
            url = reverse("reviews:paper", args=[flag.submission.workshop.slug, paper.number])
            badge += f' <a href="{escape(url)}#reviews-h">#{paper.number}</a>'
        badges.append(badge)
    return " ".join(badges)


def board_row_html(rows: list[BoardRow], categories: list[DecisionCategory], change: str,
                   shown: Iterable[str] = (),
                   review_flags: dict[int, list[ReviewFlag]] | None = None,
                   tags: dict[int, str] | None = None,
                   answers: dict[int, str] | None = None,
                   ) -> list[SafeString]:  # fmt: skip
    """The page's rows, each one line of HTML, for the template's one loop to print.

    The board's rows are written here rather than cell by cell in the template: 200 rows of
    16 cells cost some 4,000 template variables (a third of the request); here every text
    from the database is escaped once (`escape`), names shared by rows once per page."""
    options = {
        c.pk: (f'<option value="{c.pk}">{escape(c.name)}</option>',
               f'<option value="{c.pk}" selected>{escape(c.name)}</option>')
        for c in categories
    }  # fmt: skip
    names: dict[object, str] = {}

    def name(value: object) -> str:
        if value not in names:
            names[value] = escape(value) if value else "—"
        return names[value]

    row = row_template(shown or [key for key, _, _ in COLUMNS])
    out = []
    for r in rows:
        s = r.submission
        decision = r.decision
        current = decision.category_id if decision else None
        meta = r.meta_review
        flags = r.flags
        out.append(
            mark_safe(  # every value is a number or escaped above
                row.format(
                    pk=s.pk,
                    number=s.number,
                    change=change,
                    title=escape(s.title),
                    options='<option value="">—</option>'
                    + "".join(pair[pk == current] for pk, pair in options.items()),
                    mean=_num(r.mean),
                    median=_num(r.median, 0),
                    range=f"{r.low:g}–{r.high:g}" if r.scores else "—",
                    spread=(f"{r.spread:g}" if len(r.scores) > 1 else "—")
                    + (DISAGREEMENT if r.disagreement else ""),
                    weighted=_num(r.weighted),
                    missing=" desk-missing" if r.missing_reviews else "",
                    reviews=f"{r.done}/{r.required}",
                    meta=name(meta.get_recommendation_display() if meta else ""),
                    topic=name(s.primary_topic.name if s.primary_topic else ""),
                    type=name(s.submission_type.name if s.submission_type else ""),
                    status=name(s.get_status_display()),
                    flags=(
                        f'<strong class="desk-missing">{escape(", ".join(flags))}</strong> '
                        if flags
                        else ""
                    )
                    + review_flag_badges((review_flags or {}).get(s.pk, ())),
                    llm=llm_cell(r),
                    fields=name((answers or {}).get(s.pk, "")),
                    tags=(tags or {}).get(s.pk, "—"),
                    round=r.round_number,
                )
            )
        )
    return out


CSV_HEADER = ["workshop", "number", "title", "type", "topic", "status", "mean", "median",
              "min", "max", "confidence-weighted mean", "reviews done", "reviews required",
              "meta-review", "decision", "anonymity flag", "hidden text flag",
              "LLM use declared", "LLM use statements"]  # fmt: skip


def _csv(rows: Iterable[BoardRow], filename: str,
         review_flags: dict[int, list[ReviewFlag]],
         fields: FieldTable | None = None) -> HttpResponse:  # fmt: skip
    """The board's rows as CSV (formulas neutralised by `csv_response`), with the papers'
    review flags the chair may see (`review_flags_for`), then one column per custom field
    the chair may read (`field_table`, issue 27)."""
    fields = fields or FieldTable([], {}, {})

    def fmt(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    return csv_response(
        filename,
        [*CSV_HEADER, "review flags", *(f"field:{code}" for code in fields.codes)],
        (
            [
                r.submission.workshop.short_name,
                r.submission.number,
                r.submission.title,
                r.submission.submission_type.name if r.submission.submission_type else "",
                r.submission.primary_topic.name if r.submission.primary_topic else "",
                r.submission.get_status_display(),
                fmt(r.mean),
                fmt(r.median),
                fmt(r.low),
                fmt(r.high),
                fmt(r.weighted),
                r.done,
                r.required,
                r.meta_review.get_recommendation_display() if r.meta_review else "",
                r.decision.category.name if r.decision else "",
                bool(r.submission.paper and r.submission.paper.anonymity_flag),
                bool(r.submission.paper and r.submission.paper.hidden_text_flag),
                *llm_csv(r),
                "; ".join(flag_label(f) for f in review_flags.get(r.submission.pk, ())),
                *fields.row(r.submission.pk),
            ]
            for r in rows
        ),
    )


@admin.register(DecisionBoard)
class DecisionBoardAdmin(MailComposeViews, ChairScopedAdmin):
    chairs_may_add = False
    chairs_may_delete = False
    # A track chair's desk (issue 27): their tracks' papers only, decided one by one or in
    # bulk; the workshop-wide pages (plots, decision mails and releases) stay the chairs'.
    policy_permission = "decisions.decide"
    track_scoped = True
    board_template = "admin/reviews/decisionboard/board.html"
    list_per_page = PAGE_SIZE

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is None and self.may_touch(request, None)

    def get_urls(self):  # type: ignore[no-untyped-def]
        wrap = self.admin_site.admin_view
        return [
            path("save/", wrap(self.save_view), name="reviews_decisions_save"),
            path("undo/", wrap(self.undo_view), name="reviews_decisions_undo"),
            path("export/", wrap(self.export_view), name="reviews_decisions_export"),
            path("plots/", wrap(self.plots_view), name="reviews_decisions_plots"),
            path("searches/", wrap(self.searches_view), name="reviews_decisions_searches"),
            path("mails/<int:workshop_id>/", wrap(self.mails_view), name="reviews_decision_mails"),
            *self.mail_urls(),
            *super().get_urls(),
        ]

    # --- The board ------------------------------------------------------------------------

    def _workshop(self, request: HttpRequest, params: QueryDict) -> tuple[Workshop, list[Workshop]]:
        """The workshop asked for (`workshop`, or the changelist's `workshop__id__exact`),
        else the one the chair last opened here, else the one furthest into deciding (a
        workshop making decisions before one in discussion, reviewing, ..., before one
        whose call is still open); 404 for one the requester does not chair."""
        chaired = list(self.chaired_workshops(request))
        if not chaired:
            raise PermissionDenied
        wanted = params.get("workshop") or params.get("workshop__id__exact")
        if wanted:
            workshop = self.chaired_workshop(request, wanted)
            if request.session.get(DESK_WORKSHOP_KEY) != workshop.pk:
                request.session[DESK_WORKSHOP_KEY] = workshop.pk  # a session write only then
            return workshop, chaired
        last = request.session.get(DESK_WORKSHOP_KEY)
        for workshop in chaired:
            if workshop.pk == last:
                return workshop, chaired
        return most_pressing(chaired), chaired

    def _columns(self, request: HttpRequest, params: QueryDict) -> set[str]:
        """The columns to show: the fixed ones and those the chair ticked (a `columns`
        form sets them and the session keeps them); every column until a choice."""
        optional = {key for key, _, _ in COLUMNS} - set(FIXED_COLUMNS)
        if params.get("columns") == "set":
            chosen = sorted(optional & set(params.getlist("col")))
            request.session[DESK_COLUMNS_KEY] = chosen
        else:
            stored = request.session.get(DESK_COLUMNS_KEY)
            chosen = optional & set(stored) if isinstance(stored, list) else optional
        return set(FIXED_COLUMNS) | set(chosen)

    def _condition(self, workshop: Workshop, params: QueryDict) -> tuple[Q, str]:
        """The search and the filters as one Q, and the search's error message ("" if
        none: a query that cannot be read shows nothing, and says why)."""
        condition = Q()
        error = ""
        try:
            condition &= search_compile(
                params.get("q", ""), SearchContext(frozenset({workshop.pk}))
            )
        except SearchError as exc:
            error = exc.message
            condition &= Q(pk__in=[])
        topic = _int(params.get("topic"))
        if topic:
            secondary = Submission.secondary_topics.through.objects.filter(topic_id=topic)
            condition &= Q(primary_topic_id=topic) | Q(pk__in=secondary.values("submission_id"))
        kind = _int(params.get("type"))
        if kind:
            condition &= Q(submission_type_id=kind)
        decision = params.get("decision", "")
        if decision == "none":
            condition &= Q(decision__isnull=True)
        elif _int(decision):
            condition &= Q(decision__category_id=_int(decision))
        status = params.get("status", "")
        if status in DECIDABLE:
            condition &= Q(status=status)
        return condition, error

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            return self._admin_action(request)
        params = request.GET
        workshop, chaired = self._workshop(request, params)
        categories = decision_services.default_categories_create(workshop)
        condition, error = self._condition(workshop, params)
        condition &= papers_in_scope(request.user, workshop)
        scope = chair_scope(request.user, workshop)
        sort = params.get("sort", "number")
        descending = sort.startswith("-")
        sort = sort.lstrip("-")
        page = board_page(
            workshop,
            condition=condition,
            sort=sort,
            descending=descending,
            page=_int(params.get("p"), 1) or 1,
            page_size=self.list_per_page,
        )
        kept = {k: params[k] for k in FILTERS if params.get(k)}
        base = {"workshop": workshop.pk, **kept}

        def url(**extra: Any) -> str:
            return "?" + urlencode({**base, **{k: v for k, v in extra.items() if v}})

        current_sort = ("-" if descending else "") + page.sort
        shown = self._columns(request, params)
        headers = []
        for key, label, sort_key in COLUMNS:
            if key not in shown:
                continue
            link, state = "", ""
            if sort_key:
                if page.sort == sort_key:
                    state = "descending" if descending else "ascending"
                    link = url(sort=("" if descending else "-") + sort_key)
                else:
                    link = url(sort=sort_key)
            headers.append({"key": key, "label": label, "url": link, "sorted": state})
        window = range(max(1, page.number - 3), min(page.pages, page.number + 3) + 1)
        context = {
            **self.admin_site.each_context(request),
            "rows": board_row_html(
                page.rows,
                categories,
                reverse("admin:submissions_submission_changelist"),
                shown,
                review_flags_for(request.user, [r.submission for r in page.rows]),
                desk_tag_cells(request.user, workshop, [r.submission.pk for r in page.rows]),
                answers=field_cells(request.user, [r.submission for r in page.rows]),
            ),
            "column_choices": [
                (key, label, key in shown) for key, label, _ in COLUMNS if key not in FIXED_COLUMNS
            ],
            "title": f"Decision board · {workshop.short_name}",
            "opts": self.model._meta,
            "workshop": workshop,
            "chaired": chaired,
            "page": page,
            "headers": headers,
            "categories": categories,
            "topics": Topic.objects.filter(workshop=workshop).order_by("order", "name"),
            "types": SubmissionType.objects.filter(workshop=workshop).order_by("order", "name"),
            "statuses": [(s, SubmissionStatus(s).label) for s in DECIDABLE],
            "params": kept,
            "search_error": error,
            "saved": SavedSearch.objects.filter(workshop=workshop),
            "keywords": search_keywords(),
            "sort": current_sort,
            "sorts": SORTS,
            "page_links": [(n, url(sort=current_sort, p=n)) for n in window],
            "first_url": url(sort=current_sort, p=1),
            "last_url": url(sort=current_sort, p=page.pages),
            "prev_url": url(sort=current_sort, p=page.number - 1),
            "next_url": url(sort=current_sort, p=page.number + 1),
            "export_url": reverse("admin:reviews_decisions_export") + url(sort=current_sort),
            "here": request.get_full_path(),
            "undo": self._undo_offer(request, workshop),
            # A track chair's desk (issue 27): their tracks named, the chairs' tools left out.
            "whole_workshop": scope is WHOLE_WORKSHOP,
            "tracks_shown": workshop.tracks.filter(pk__in=scope or ()),
            "bulk_outcomes": [
                (f"{BULK_CATEGORY}{c.pk}", decision_services.bulk_action_label(c))
                for c in categories
            ],
        }
        return TemplateResponse(request, self.board_template, context)

    # --- Decisions: one by one in the list, or in bulk, with an undo -----------------------

    def _back(self, request: HttpRequest, workshop: Workshop | None) -> HttpResponse:
        target = request.POST.get("next", "")
        board = reverse("admin:reviews_decisionboard_changelist")
        if not target.startswith(board) or "//" in target or "\\" in target:
            target = board + (f"?workshop={workshop.pk}" if workshop else "")
        return redirect(target)

    def _posted_workshop(self, request: HttpRequest) -> Workshop | None:
        """The board's workshop (a form field), or None: then the papers of every workshop
        the requester chairs are in reach (an old form, the admin action protocol)."""
        raw = request.POST.get("workshop", "")
        return self.chaired_workshop(request, raw) if raw else None

    def _papers(self, request: HttpRequest, workshop: Workshop | None) -> QuerySet:
        """The papers in the requester's reach: the board's workshop's (a track chair: of
        their tracks), or those of every workshop they chair and of every track they chair."""
        if workshop is not None:
            papers = board_papers(workshop).filter(papers_in_scope(request.user, workshop))
        else:
            tracks = sorted(frozenset().union(*chaired_tracks(request.user).values()))
            papers = Submission.objects.filter(
                Q(workshop_id__in=chaired_workshop_ids(request.user)) | Q(track__in=tracks),
                status__in=DECIDABLE,
            )
        return papers.select_related("workshop")

    def _admin_action(self, request: HttpRequest) -> HttpResponse:
        """The admin's action protocol (`action`, `_selected_action`), kept for scripts and
        old forms: the bulk decisions and the CSV export of the selection."""
        action = request.POST.get("action", "")
        ids = [i for i in (_int(v) for v in request.POST.getlist("_selected_action")) if i]
        workshop = self._posted_workshop(request)
        if action == "export_csv":
            papers = (
                self._papers(request, workshop).filter(pk__in=ids).order_by("workshop", "number")
            )
            ids = list(papers.values_list("pk", flat=True))
            flags = review_flags_for(request.user, papers)
            answers = field_table(request.user, papers)
            return _csv(board_rows(ids, required=None), "decision-board.csv", flags, answers)
        if not _bulk_choice(action):
            self.message_user(request, "No such action.", messages.WARNING)
            return self._back(request, workshop)
        return self._bulk(request, workshop, ids, action)

    def _bulk(self, request: HttpRequest, workshop: Workshop | None, ids: list[int], action: str
              ) -> HttpResponse:  # fmt: skip
        if not ids:
            self.message_user(request, "Tick the papers first.", messages.WARNING)
            return self._back(request, workshop)
        selected = list(self._papers(request, workshop).filter(pk__in=ids).order_by("number"))
        try:
            changes = decision_services.decisions_bulk_record(
                submissions=selected, chair=request.user, **_bulk_choice(action)
            )
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return self._back(request, workshop)
        self._report(request, workshop, changes, verb="changed")
        return self._back(request, workshop)

    def save_view(self, request: HttpRequest) -> HttpResponse:
        """The board's one form: the decisions chosen in the list (`do=save`), or a bulk
        action on the ticked papers (`do=category-<id>`, one button per category)."""
        if request.method != "POST":
            return redirect("admin:reviews_decisionboard_changelist")
        workshop = self._posted_workshop(request)
        action = request.POST.get("do", "save")
        if _bulk_choice(action):
            ids = [i for i in (_int(v) for v in request.POST.getlist("ids")) if i]
            return self._bulk(request, workshop, ids, action)
        chosen = {}
        for key, value in request.POST.items():
            suffix = key.removeprefix("decision-")
            number, category = whole_number(suffix), whole_number(value)
            if key.startswith("decision-") and number is not None and category is not None:
                chosen[number] = category
        # Any category: the service refuses another workshop's with a plain message.
        categories = DecisionCategory.objects.in_bulk(set(chosen.values()))
        changes = []
        papers = self._papers(request, workshop).filter(pk__in=chosen)
        for submission in papers.select_related("decision__category").order_by("number"):
            current = getattr(submission, "decision", None)
            category = categories.get(chosen[submission.pk])
            if category is None or (current and current.category_id == category.pk):
                continue  # unchanged, or a stale category: ignored
            change = {"submission_id": submission.pk, "number": submission.number,
                      "title": submission.title,
                      "before_id": current.category_id if current else None,
                      "before": current.category.name if current else None}  # fmt: skip
            if category.revise_round_id:
                # "Revise and resubmit" decides nothing: it sends the paper to a later round.
                try:
                    sent = round_services.paper_round_send(
                        submission=submission, category=category, chair=request.user
                    )
                except ServiceError as exc:
                    changes.append(decision_services.DecisionChange(**change, error=exc.message))
                else:
                    self.message_user(
                        request,
                        f"#{submission.number} sent to {sent.round.name}: its authors may "
                        "upload a revised version; assign its reviewers again from its page.",
                        messages.SUCCESS,
                    )
                continue
            try:
                decision_services.decision_record(
                    submission=submission, category=category, chair=request.user
                )
            except ServiceError as exc:
                changes.append(decision_services.DecisionChange(**change, error=exc.message))
                continue
            changes.append(
                decision_services.DecisionChange(
                    **change, after_id=category.pk, after=category.name
                )
            )
        self._report(request, workshop, changes, verb="changed")
        return self._back(request, workshop)

    def _report(self, request: HttpRequest, workshop: Workshop | None, changes: list, *, verb: str
                ) -> None:  # fmt: skip
        """Say which papers changed, from what to what; keep the changes for the undo."""
        done = [c for c in changes if c.changed]
        unchanged = [c for c in changes if c.unchanged]
        failed = [c for c in changes if c.error]

        def arrow(c: decision_services.DecisionChange) -> str:
            return f"#{c.number} {c.before or 'not decided'} → {c.after or 'not decided'}"

        if done:
            self.message_user(
                request,
                f"{counted(len(done), 'paper')} {verb}: " + "; ".join(arrow(c) for c in done) + ".",
                messages.SUCCESS,
            )
        else:
            self.message_user(request, f"No paper {verb}.", messages.INFO)
        if unchanged:
            self.message_user(
                request,
                f"{counted(len(unchanged), 'paper')} already had that decision and were left "
                "as they were: " + ", ".join(f"#{c.number} ({c.before})" for c in unchanged) + ".",
                messages.INFO,
            )
        for c in failed:
            self.message_user(request, f"#{c.number}: {c.error}", messages.ERROR)
        if verb == "changed" and done:
            request.session[UNDO_KEY] = {
                "token": secrets.token_urlsafe(16),
                "workshop": workshop.pk if workshop else None,
                "at": time.time(),
                "changes": [
                    [c.submission_id, c.number, c.before_id, c.before, c.after_id, c.after]
                    for c in done
                ],
            }
        elif verb == "changed":
            request.session.pop(UNDO_KEY, None)

    def _undo_offer(self, request: HttpRequest, workshop: Workshop) -> dict | None:
        offer = request.session.get(UNDO_KEY)
        if not offer or offer.get("workshop") not in (None, workshop.pk):
            return None
        left = UNDO_SECONDS - (time.time() - offer.get("at", 0))
        if left <= 0:
            return None
        return {
            "token": offer["token"],
            "minutes": max(1, round(left / 60)),
            "changes": [
                {"number": n, "before": b or "not decided", "after": a or "not decided"}
                for _sid, n, _bid, b, _aid, a in offer["changes"]
            ],
        }

    def undo_view(self, request: HttpRequest) -> HttpResponse:
        """Undo the board's last bulk action (or list save), within UNDO_SECONDS."""
        if request.method != "POST":
            return redirect("admin:reviews_decisionboard_changelist")
        workshop = self._posted_workshop(request)
        offer = request.session.get(UNDO_KEY)
        if not offer or offer.get("token") != request.POST.get("token"):
            self.message_user(request, "There is nothing to undo.", messages.WARNING)
            return self._back(request, workshop)
        if time.time() - offer.get("at", 0) > UNDO_SECONDS:
            request.session.pop(UNDO_KEY, None)
            self.message_user(
                request, "Too late to undo: the offer lasts five minutes.", messages.WARNING
            )
            return self._back(request, workshop)
        request.session.pop(UNDO_KEY, None)
        ids = [row[0] for row in offer["changes"]]
        papers = {s.pk: s for s in self._papers(request, None).filter(pk__in=ids)}
        changes = []
        for sid, number, before_id, _before, after_id, _after in offer["changes"]:
            submission = papers.get(sid)
            if submission is None:
                continue
            try:
                changes.append(
                    decision_services.decision_undo(
                        submission=submission,
                        before_id=before_id,
                        after_id=after_id,
                        chair=request.user,
                    )
                )
            except ServiceError as exc:
                changes.append(
                    decision_services.DecisionChange(
                        sid, number, submission.title, error=exc.message
                    )
                )
        self._report(request, workshop, changes, verb="restored")
        return self._back(request, workshop)

    # --- Search, export, plots -------------------------------------------------------------

    def searches_view(self, request: HttpRequest) -> HttpResponse:
        """Save the board's current search under a name, or delete a saved one."""
        if request.method != "POST":
            return redirect("admin:reviews_decisionboard_changelist")
        workshop = self.chaired_workshop(request, request.POST.get("workshop", ""))
        self._whole_workshop(request, workshop)
        try:
            if request.POST.get("delete"):
                saved = SavedSearch.objects.filter(
                    workshop=workshop, pk=_int(request.POST["delete"], 0)
                ).first()
                if saved is not None:
                    search_services.saved_search_delete(saved=saved, chair=request.user)
                    self.message_user(request, f"Saved search “{saved.name}” deleted.")
            else:
                saved = search_services.saved_search_save(
                    workshop=workshop,
                    name=request.POST.get("name", ""),
                    query=request.POST.get("q", ""),
                    chair=request.user,
                )
                self.message_user(request, f"Search saved as “{saved.name}”.", messages.SUCCESS)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        return self._back(request, workshop)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The board as CSV: every paper the search and filters match, not only the page."""
        workshop, _ = self._workshop(request, request.GET)
        condition, error = self._condition(workshop, request.GET)
        condition &= papers_in_scope(request.user, workshop)
        if error:
            self.message_user(request, f"The search cannot be read: {error}.", messages.ERROR)
            return redirect(
                reverse("admin:reviews_decisionboard_changelist")
                + "?"
                + urlencode({"workshop": workshop.pk, "q": request.GET.get("q", "")})
            )
        rows = list(board_export_rows(workshop, condition))
        return _csv(
            rows,
            f"decision-board-{workshop.slug}.csv",
            review_flags_in_workshop(request.user, workshop),
            field_table(request.user, [r.submission for r in rows]),
        )

    def _whole_workshop(self, request: HttpRequest, workshop: Workshop) -> None:
        """404 for a track chair on a page about the whole workshop."""
        if chair_scope(request.user, workshop) is not WHOLE_WORKSHOP:
            raise Http404("No such page.")

    def plots_view(self, request: HttpRequest) -> HttpResponse:
        workshop, chaired = self._workshop(request, request.GET)
        self._whole_workshop(request, workshop)
        line = _float(request.GET.get("line"))
        if line is not None and not 1 <= line <= 5:
            self.message_user(request, "The accept line is a score from 1 to 5.", messages.ERROR)
            line = None
        plots, line = desk_plots(workshop, line)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Scores of {workshop.short_name}",
            "opts": self.model._meta,
            "workshop": workshop,
            "chaired": chaired,
            "plots": plots,
            "line": line,
        }
        return TemplateResponse(request, "admin/reviews/decisionboard/plots.html", context)

    def mails_view(self, request: HttpRequest, workshop_id: int) -> HttpResponse:
        """Compose, preview and release decision mails; release reviews to authors."""
        workshop = self.chaired_workshop(request, workshop_id)
        self._whole_workshop(request, workshop)
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "compose":
                count = decision_services.decision_mails_compose(
                    workshop=workshop,
                    chair=request.user,
                    include_reviews=request.POST.get("include_reviews") == "on",
                )
                self.message_user(request, f"{counted(count, 'decision mail')} composed and held.")
            elif action == "release":
                count = decision_services.decisions_release(workshop=workshop, chair=request.user)
                self.message_user(
                    request,
                    f"{counted(count, 'decision mail')} released; "
                    "decisions are now visible to authors.",
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
        wanted_id = whole_number(wanted)
        preview = (held.filter(pk=wanted_id).first() if wanted_id else None) or held.first()
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


@admin.register(DecisionCategory)
class DecisionCategoryAdmin(ConfigAdminMixin, ChairScopedAdmin):
    """Decision categories and their mail templates, with {placeholders}: {workshop},
    {number}, {title}, {decision}, {authors}, {reviews}, {link}."""

    list_display = ["name", "workshop", "outcome", "order"]
    list_filter = ["workshop", "outcome"]
