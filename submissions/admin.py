"""The chairs' view of submissions in the admin, scoped to the workshops they chair."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib import admin, messages
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import escape, format_html, format_html_join

from workshop.admin_rows import OneLoopRows
from workshop.admin_scoping import (
    ChairScopedAdmin,
    ConfigAdminMixin,
    OneWorkshopAtATime,
    ReadOnlyInline,
    ScrollingTabularInline,
    track_user_links_register,
    user_links_register,
)
from workshop.csvexport import csv_response
from workshop.errors import ServiceError
from workshop.plurals import counted
from workshop.search import SearchContext, SearchError, search_compile
from workshop.selectors import chaired_workshop_ids

from .filechecks.findings import check_findings
from .models import (
    AuthorConflict,
    Authorship,
    BundleStatus,
    ProceedingsBundle,
    Submission,
    SubmissionFile,
    SubmissionStatus,
    SubmissionType,
)
from .selectors_fields import field_table
from .services import submission_restore
from .services.camera_ready import proceedings_request


def _authors_of_papers(workshop_ids: frozenset[int], *, by: str = "workshop") -> Q:
    """Authors are connected to a workshop (`by` a track: to a track) through its papers: as
    their creators, and by a verified address in an author list (the rule of
    `submissions_authored_by`: an address merely claimed, or an unverified login, connects
    nobody)."""
    emails = (
        Authorship.objects.filter(**{f"submission__{by}__in": sorted(workshop_ids)})
        .annotate(lower_email=Lower("email"))
        .values("lower_email")
    )
    return Q(**{f"created_submissions__{by}__in": sorted(workshop_ids)}) | Q(
        pk__in=EmailAddress.objects.filter(verified=True)
        .annotate(lower_email=Lower("email"))
        .filter(lower_email__in=emails)
        .values("user_id")
    )


def _authors_of_track_papers(track_ids: frozenset[int]) -> Q:
    return _authors_of_papers(track_ids, by="track")


user_links_register(_authors_of_papers)
track_user_links_register(_authors_of_track_papers)


@admin.register(SubmissionType)
class SubmissionTypeAdmin(ConfigAdminMixin, ChairScopedAdmin):
    list_display = ["name", "workshop", "page_limit", "camera_ready_page_limit", "order"]
    list_filter = ["workshop"]


class AuthorshipInline(ReadOnlyInline, ScrollingTabularInline):
    """Chairs see the authors; authors change them on their paper's page (a service)."""

    model = Authorship
    extra = 0
    fields = ["position", "name", "email", "affiliation", "is_contact"]
    readonly_fields = fields


class FileInline(ReadOnlyInline, ScrollingTabularInline):
    model = SubmissionFile
    extra = 0
    fields = ["kind", "uploaded_at", "pages", "size", "sha256", "check_status",
              "anonymity_flag", "hidden_text_flag", "findings", "download"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="File")
    def download(self, obj: SubmissionFile) -> str:
        url = reverse("submissions:file", args=[obj.submission_id, obj.pk])
        return format_html('<a href="{}">download</a>', url)

    @admin.display(description="What the check found")
    def findings(self, obj: SubmissionFile) -> str:
        items = check_findings(obj.check_report)
        if not items:
            return "nothing" if obj.check_status == "done" else "—"
        return format_html_join("", "<div><strong>{}</strong>: {}</div>", items)


class ConflictInline(ReadOnlyInline, ScrollingTabularInline):
    """Conflicts the authors declared; chairs set or lift conflicts as overrides."""

    model = AuthorConflict
    extra = 0
    fields = ["member", "institution", "reason"]
    readonly_fields = fields


class FlagFilter(admin.SimpleListFilter):
    title = "check flags"
    parameter_name = "flag"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("anonymity", "Anonymity warning"), ("hidden", "Hidden text"), ("any", "Any flag")]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "anonymity":
            return queryset.filter(paper__anonymity_flag=True)
        if self.value() == "hidden":
            return queryset.filter(paper__hidden_text_flag=True)
        if self.value() == "any":
            return queryset.filter(paper__anonymity_flag=True) | queryset.filter(
                paper__hidden_text_flag=True
            )
        return queryset


# Fields whose changes are transitions with side effects (decisions, withdrawal and
# restore, uploads, camera-ready and licence): never edited in an admin form.
STATE_FIELDS = ["status", "status_before_withdrawal", "paper", "supplementary", "camera_ready",
                "licence", "licence_accepted_at", "licence_accepted_by", "submitted_at",
                "registered_at", "withdrawn_at", "withdrawn_by_chair",
                "reviews_seen_at"]  # fmt: skip


@admin.register(Submission)
class SubmissionAdmin(OneWorkshopAtATime, OneLoopRows, ChairScopedAdmin):
    """Chairs read every paper of their workshops here; the page is read-only.

    Papers change through actions that ask the policy and write the activity log: the
    authors' pages (metadata, files, authors), the decision board (status), and the
    actions below (restore). The page links to the paper's activity and mail.
    """

    chairs_may_add = False
    chairs_may_delete = False
    list_display = ["number", "title", "author_names", "topics", "submission_type", "status",
                    "pages", "flags", "updated_at"]  # fmt: skip
    list_display_links = ["number", "title"]
    list_filter = ["workshop", "status", "submission_type", "primary_topic", FlagFilter]
    search_fields = ["title", "abstract", "keywords", "authors__name", "authors__email",
                     "authors__affiliation", "=number"]  # fmt: skip
    # By the `(workshop, number)` index: "workshop" would sort by the workshop's own ordering
    # (its deadline), a join that keeps the index from stopping after one page.
    ordering = ["workshop_id", "number"]
    readonly_fields = ["workshop", "number", "created_by", "created_at", "updated_at",
                       *STATE_FIELDS, "activity_link", "mail_link"]  # fmt: skip
    inlines = [AuthorshipInline, FileInline, ConflictInline]
    actions = ["export_csv", "restore_withdrawn"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    class Media:
        css = {"all": ["css/admin-desk.css"]}

    def row_label(self, obj: Submission) -> str:
        return f"#{obj.number} {obj.title}"

    def row_cells(self, obj: Submission, change_url: str) -> str:
        """One row's cells (`OneLoopRows`), the same as `list_display` would print."""
        paper = obj.paper
        updated = formats.localize(timezone.localtime(obj.updated_at))
        return (
            f'<th class="field-number"><a href="{change_url}">{obj.number}</a></th>'
            f'<td class="field-title"><a href="{change_url}">{escape(obj.title)}</a></td>'
            f'<td class="field-author_names">{escape(self.author_names(obj))}</td>'
            f'<td class="field-topics">{escape(self.topics(obj))}</td>'
            f'<td class="field-submission_type nowrap">'
            f"{escape(obj.submission_type.name) if obj.submission_type else '-'}</td>"
            f'<td class="field-status">{escape(obj.get_status_display())}</td>'
            f'<td class="field-pages">{paper.pages if paper and paper.pages else "-"}</td>'
            f'<td class="field-flags">{self.flags(obj)}</td>'
            f'<td class="field-updated_at nowrap">{updated}</td>'
        )

    @admin.display(description="Activity")
    def activity_link(self, obj: Submission) -> str:
        url = reverse("admin:workshop_activity_changelist") + f"?submission_id={obj.pk}"
        return format_html('<a href="{}">Activity of this paper</a>', url)

    @admin.display(description="Mail")
    def mail_link(self, obj: Submission) -> str:
        url = reverse("admin:workshop_outgoingmail_changelist") + f"?submission_id={obj.pk}"
        return format_html('<a href="{}">Mail about this paper</a>', url)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Submission]:
        return (
            super()
            .get_queryset(request)
            .select_related("workshop", "primary_topic", "submission_type", "paper")
            .prefetch_related(
                Prefetch("authors", queryset=Authorship.objects.order_by("position")),
                "secondary_topics",
            )
        )

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        """The chairs' search language (`workshop.search`: `topic:data -withdrawn
        author:kim`), the same as the decision board's; the CSV export of a "select all"
        follows it. A query that cannot be read shows nothing and says why."""
        context = SearchContext(chaired_workshop_ids(request.user))
        try:
            return queryset.filter(search_compile(search_term, context)), False
        except SearchError as exc:
            self.message_user(request, f"The search cannot be read: {exc.message}.", messages.ERROR)
            return queryset.none(), False

    @admin.display(description="Authors")
    def author_names(self, obj: Submission) -> str:
        return ", ".join(a.name for a in obj.authors.all())

    @admin.display(description="Topics")
    def topics(self, obj: Submission) -> str:
        names = [str(obj.primary_topic)] if obj.primary_topic else []
        return ", ".join(names + [t.name for t in obj.secondary_topics.all()])

    @admin.display(description="Pages", ordering="paper__pages")
    def pages(self, obj: Submission) -> int | None:
        return obj.paper.pages if obj.paper else None

    @admin.display(description="Flags")
    def flags(self, obj: Submission) -> str:
        if not obj.paper:
            return "no PDF"
        found = []
        if obj.paper.anonymity_flag:
            found.append("anonymity")
        if obj.paper.hidden_text_flag:
            found.append("hidden text")
        if not found:
            return obj.paper.get_check_status_display()
        return format_html('<strong class="desk-missing">{}</strong>', ", ".join(found))

    @admin.action(description="Export the selected submissions as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Submission]) -> HttpResponse:
        header = ["workshop", "number", "title", "status", "type", "primary topic",
                  "secondary topics", "authors", "emails", "affiliations", "keywords", "pages",
                  "sha256", "anonymity flag", "hidden text flag", "submitted at",
                  "updated at"]  # fmt: skip
        papers = list(queryset.order_by("workshop", "number"))
        answers = field_table(request.user, papers)  # one column per custom field (issue 27)
        header += [f"field:{code}" for code in answers.codes]
        rows = (
            [
                s.workshop.short_name,
                s.number,
                s.title,
                s.get_status_display(),
                s.submission_type.name if s.submission_type else "",
                s.primary_topic.name if s.primary_topic else "",
                "; ".join(t.name for t in s.secondary_topics.all()),
                "; ".join(a.name for a in s.authors.all()),
                "; ".join(a.email for a in s.authors.all()),
                "; ".join(a.affiliation for a in s.authors.all()),
                s.keywords,
                s.paper.pages if s.paper else "",
                s.paper.sha256 if s.paper else "",
                s.paper.anonymity_flag if s.paper else "",
                s.paper.hidden_text_flag if s.paper else "",
                s.submitted_at.isoformat() if s.submitted_at else "",
                s.updated_at.isoformat(),
                *answers.row(s.pk),
            ]
            for s in papers
        )
        return csv_response("submissions.csv", header, rows)

    @admin.action(description="Restore the selected withdrawn submissions")
    def restore_withdrawn(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        restored = 0
        for submission in queryset.filter(status=SubmissionStatus.WITHDRAWN):
            try:
                submission_restore(submission=submission, user=request.user)
                restored += 1
            except ServiceError as exc:
                self.message_user(request, f"#{submission.number}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{counted(restored, 'submission')} restored.", messages.SUCCESS)


@admin.register(ProceedingsBundle)
class ProceedingsBundleAdmin(ChairScopedAdmin):
    """The proceedings bundle: built by a worker with a progress bar, then downloaded."""

    chairs_may_delete = False
    list_display = ["__str__", "status", "progress_bar", "papers", "download"]
    list_filter = ["workshop", "status"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.display(description="Progress")
    def progress_bar(self, obj: ProceedingsBundle) -> str:
        return format_html('<progress max="100" value="{}">{}%</progress>', obj.progress,
                           obj.progress)  # fmt: skip

    @admin.display(description="ZIP")
    def download(self, obj: ProceedingsBundle) -> str:
        if obj.status != BundleStatus.DONE:
            return obj.error or "—"
        url = reverse("admin:submissions_bundle_download", args=[obj.pk])
        return format_html('<a href="{}">download</a>', url)

    def get_urls(self):  # type: ignore[no-untyped-def]
        wrap = self.admin_site.admin_view
        return [
            path("<int:bundle_id>/download/", wrap(self.download_view),
                 name="submissions_bundle_download"),
            *super().get_urls(),
        ]  # fmt: skip

    def add_view(self, request, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        workshops = self.chaired_workshops(request)
        if request.method == "POST":
            workshop = self.chaired_workshop(request, request.POST.get("workshop", ""))
            proceedings_request(workshop=workshop, chair=request.user)
            self.message_user(request, "The proceedings are being built; this page refreshes.")
            return redirect("admin:submissions_proceedingsbundle_changelist")
        context = {**self.admin_site.each_context(request), "workshops": workshops,
                   "title": "Build the proceedings", "opts": self.model._meta}  # fmt: skip
        return TemplateResponse(request, "admin/submissions/build_proceedings.html", context)

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        busy = (
            self.get_queryset(request)
            .filter(status__in=[BundleStatus.QUEUED, BundleStatus.RUNNING])
            .exists()
        )
        return super().changelist_view(request, {**(extra_context or {}), "refresh": busy})

    def download_view(self, request: HttpRequest, bundle_id: int) -> FileResponse:
        bundle = self.get_queryset(request).filter(pk=bundle_id, status=BundleStatus.DONE).first()
        if bundle is None:
            raise Http404("No such bundle.")
        response = FileResponse(bundle.file.open("rb"), as_attachment=True,
                                filename=f"{bundle.workshop.slug}-proceedings.zip")  # fmt: skip
        response["X-Content-Type-Options"] = "nosniff"
        return response


from . import admin_fields  # noqa: E402, F401 - the chairs' custom fields (issue 27)
