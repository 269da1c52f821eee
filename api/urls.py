"""/api/v1/ (the resources), /api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI)."""

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView

from .views import committee, discussion, reviewing, submissions, transfer, workshops
from .views import external as external_views
from .views import fields as field_views
from .views import rounds as round_views
from .views import tags as tag_views
from .views import tracks as track_views
from .views.base import unknown_path
from .views.docs import ApiDocs

app_name = "api"


class IdConverter:
    """A database id: at most 18 digits (a longer number is no id: the API's 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

v1 = [
    path("workshops/", workshops.WorkshopList.as_view(), name="workshops"),
    path("workshops/<str:slug>/", workshops.WorkshopDetail.as_view(), name="workshop"),
    path("workshops/<str:slug>/topics/", workshops.TopicList.as_view(), name="topics"),
    path("workshops/<str:slug>/milestones/", workshops.MilestoneList.as_view(), name="milestones"),
    path("workshops/<str:slug>/fields/", field_views.SubmissionFieldList.as_view(), name="fields"),
    path("workshops/<str:slug>/tracks/", track_views.TrackList.as_view(), name="tracks"),
    path("workshops/<str:slug>/rounds/", round_views.ReviewRoundList.as_view(), name="rounds"),
    path(
        "workshops/<str:slug>/rounds/papers/",
        round_views.PaperRoundSend.as_view(),
        name="rounds-papers",
    ),
    path(
        "workshops/<str:slug>/response-rounds/",
        round_views.ResponseRoundList.as_view(),
        name="response-rounds",
    ),
    path("workshops/<str:slug>/activity/", workshops.ActivityList.as_view(), name="activity"),
    path("workshops/<str:slug>/outbox/", workshops.OutboxList.as_view(), name="outbox"),
    path(
        "workshops/<str:slug>/submissions.csv",
        submissions.SubmissionExport.as_view(),
        name="export",
    ),
    path(
        "workshops/<str:slug>/assignments/", reviewing.AssignmentList.as_view(), name="assignments"
    ),
    path(
        "workshops/<str:slug>/assignments/bulk/",
        reviewing.AssignmentBulk.as_view(),
        name="assignments-bulk",
    ),
    path("workshops/<str:slug>/reviews/", reviewing.WorkshopReviews.as_view(), name="reviews"),
    path(
        "workshops/<str:slug>/decisions/bulk/",
        reviewing.DecisionBulk.as_view(),
        name="decisions-bulk",
    ),
    path(
        "workshops/<str:slug>/decisions/compose-mails/",
        reviewing.DecisionMailsCompose.as_view(),
        name="decisions-compose",
    ),
    path(
        "workshops/<str:slug>/decisions/release/",
        reviewing.DecisionsRelease.as_view(),
        name="decisions-release",
    ),
    path(
        "workshops/<str:slug>/reviews/release/",
        reviewing.ReviewsRelease.as_view(),
        name="reviews-release",
    ),
    path("workshops/<str:slug>/members/", committee.MemberList.as_view(), name="members"),
    path(
        "workshops/<str:slug>/invitations/", committee.InvitationList.as_view(), name="invitations"
    ),
    path("workshops/<str:slug>/bids/", committee.BidList.as_view(), name="bids"),
    path("workshops/<str:slug>/conflicts/", committee.ConflictList.as_view(), name="conflicts"),
    path(
        "workshops/<str:slug>/conflicts/declared/",
        committee.DeclaredConflictList.as_view(),
        name="declared-conflicts",
    ),
    path("workshops/<str:slug>/profiles/", committee.ProfileList.as_view(), name="profiles"),
    path(
        "workshops/<str:slug>/matching-runs/", committee.RunCreate.as_view(), name="matching-runs"
    ),
    path(
        "workshops/<str:slug>/matching-runs/<id:pk>/",
        committee.RunDetail.as_view(),
        name="matching-run",
    ),
    path(
        "workshops/<str:slug>/matching-runs/<id:pk>/commit/",
        committee.RunCommit.as_view(),
        name="matching-run-commit",
    ),
    path(
        "workshops/<str:slug>/papers/<id:number>/comments/",
        discussion.CommentList.as_view(),
        name="comments",
    ),
    path(
        "workshops/<str:slug>/papers/<id:number>/meta-review/",
        discussion.MetaReviewDetail.as_view(),
        name="meta-review",
    ),
    path(
        "workshops/<str:slug>/papers/<id:number>/pdf/",
        discussion.PaperPdf.as_view(),
        name="paper-pdf",
    ),
    path(
        "workshops/<str:slug>/profile/", discussion.ReviewerProfileDetail.as_view(), name="profile"
    ),
    path("workshops/<str:slug>/imports/", transfer.ImportList.as_view(), name="imports"),
    path("workshops/<str:slug>/imports/<id:pk>/", transfer.ImportDetail.as_view(), name="import"),
    path(
        "workshops/<str:slug>/imports/<id:pk>/apply/",
        transfer.ImportApply.as_view(),
        name="import-apply",
    ),
    path("workshops/<str:slug>/exports/", transfer.ExportList.as_view(), name="exports"),
    path(
        "workshops/<str:slug>/exports/<id:pk>/", transfer.ExportDetail.as_view(), name="export-job"
    ),
    path(
        "workshops/<str:slug>/exports/<id:pk>/download/",
        transfer.ExportDownload.as_view(),
        name="export-download",
    ),
    path("submissions/", submissions.SubmissionList.as_view(), name="submissions"),
    path("submissions/<id:pk>/", submissions.SubmissionDetail.as_view(), name="submission"),
    path(
        "submissions/<id:pk>/fields/",
        field_views.SubmissionAnswers.as_view(),
        name="submission-fields",
    ),
    path(
        "submissions/<id:pk>/submit/",
        submissions.SubmissionSubmit.as_view(),
        name="submission-submit",
    ),
    path(
        "submissions/<id:pk>/withdraw/",
        submissions.SubmissionWithdraw.as_view(),
        name="submission-withdraw",
    ),
    path(
        "submissions/<id:pk>/restore/",
        submissions.SubmissionRestore.as_view(),
        name="submission-restore",
    ),
    path(
        "submissions/<id:pk>/files/", submissions.SubmissionFiles.as_view(), name="submission-files"
    ),
    path(
        "submissions/<id:pk>/files/<id:file_pk>/download/",
        submissions.SubmissionFileDownload.as_view(),
        name="submission-file",
    ),
    path(
        "submissions/<id:pk>/upload/<str:kind>/",
        submissions.SubmissionUpload.as_view(),
        name="submission-upload",
    ),
    path(
        "submissions/<id:pk>/decision/",
        reviewing.SubmissionDecision.as_view(),
        name="submission-decision",
    ),
    path(
        "submissions/<id:pk>/reviews/",
        reviewing.SubmissionReleasedReviews.as_view(),
        name="submission-reviews",
    ),
    path("workshops/<str:slug>/votes/", tag_views.WorkshopVotes.as_view(), name="votes"),
    path(
        "workshops/<str:slug>/votes/<id:pk>/close/",
        tag_views.VoteClose.as_view(),
        name="vote-close",
    ),
    path(
        "workshops/<str:slug>/papers/<id:number>/tags/",
        tag_views.PaperTags.as_view(),
        name="paper-tags",
    ),
    path(
        "workshops/<str:slug>/papers/<id:number>/tags/<id:pk>/",
        tag_views.PaperTagDetail.as_view(),
        name="paper-tag",
    ),
    path(
        "workshops/<str:slug>/papers/<id:number>/votes/",
        tag_views.PaperVotes.as_view(),
        name="paper-votes",
    ),
    path(
        "workshops/<str:slug>/papers/<id:number>/votes/<id:pk>/",
        tag_views.PaperBallot.as_view(),
        name="paper-ballot",
    ),
    path("reviews/<id:pk>/ratings/", tag_views.ReviewRatings.as_view(), name="review-ratings"),
    path("me/assignments/", reviewing.MyAssignments.as_view(), name="my-assignments"),
    path(
        "workshops/<str:slug>/papers/<id:number>/external/",
        external_views.PaperExternalRequests.as_view(),
        name="paper-external",
    ),
    path(
        "workshops/<str:slug>/papers/<id:number>/external/<id:pk>/approve/",
        external_views.ExternalReviewApprove.as_view(),
        name="paper-external-approve",
    ),
    path("assignments/<id:pk>/review/", reviewing.ReviewDetail.as_view(), name="review"),
]

urlpatterns = [
    *[path(f"v1/{p.pattern}", p.callback, name=p.name) for p in v1],
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocs.as_view(), name="docs"),
    # Anything else under /api/ answers the API's 404, never the site's HTML page.
    re_path(r"^[\s\S]*$", unknown_path),  # any character: "." stops at a line break
]
