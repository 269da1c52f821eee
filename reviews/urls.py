from django.urls import path

from . import views
from .views import expertise, external, reviewing, rounds
from .views import fields as field_views
from .views import tags as tag_views

app_name = "reviews"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("preview/", views.markdown_preview, name="preview"),
    path("area-chair/", reviewing.area_chair, name="area_chair"),
    path("<slug:slug>/profile/", views.profile, name="profile"),
    path(
        "<slug:slug>/profile/publications/import/",
        expertise.publications_import,
        name="publications_import",
    ),
    path(
        "<slug:slug>/profile/publications/add/", expertise.publication_add, name="publication_add"
    ),
    path(
        "<slug:slug>/profile/publications/<int:pk>/",
        expertise.publication_change,
        name="publication_change",
    ),
    path("<slug:slug>/bids/", views.bids, name="bids"),
    path("<slug:slug>/bids/<int:pk>/", views.bid, name="bid"),
    path("<slug:slug>/papers/<int:number>/", views.paper, name="paper"),
    path("<slug:slug>/papers/<int:number>/paper.pdf", views.paper_pdf, name="paper_pdf"),
    path(
        "<slug:slug>/papers/<int:number>/answers/<int:value_pk>/",
        field_views.field_file,
        name="field_file",
    ),
    path("<slug:slug>/papers/<int:number>/autosave/", views.review_autosave, name="autosave"),
    path("<slug:slug>/papers/<int:number>/submit/", views.review_submit, name="submit"),
    path("<slug:slug>/papers/<int:number>/decline/", views.assignment_decline, name="decline"),
    path("<slug:slug>/papers/<int:number>/comment/", views.comment_post, name="comment"),
    path("<slug:slug>/papers/<int:number>/meta/", views.meta_review_save, name="meta"),
    path("<slug:slug>/papers/<int:number>/revision/", rounds.revision, name="revision"),
    path("<slug:slug>/papers/<int:number>/remind/", reviewing.remind_reviewers, name="remind"),
    path("<slug:slug>/papers/<int:number>/tags/", tag_views.tag_add, name="tag_add"),
    path(
        "<slug:slug>/papers/<int:number>/tags/<int:pk>/remove/",
        tag_views.tag_remove,
        name="tag_remove",
    ),
    path("<slug:slug>/papers/<int:number>/votes/<int:vote_id>/", tag_views.vote_cast, name="vote"),
    path(
        "<slug:slug>/papers/<int:number>/reviews/<int:review_id>/rate/",
        tag_views.review_rate,
        name="rate",
    ),
    path(
        "<slug:slug>/papers/<int:number>/external/",
        external.external_request,
        name="external_request",
    ),
    path(
        "<slug:slug>/papers/<int:number>/external/<int:pk>/approve/",
        external.external_approve,
        name="external_approve",
    ),
    path(
        "<slug:slug>/papers/<int:number>/external/<int:pk>/withdraw/",
        external.external_withdraw,
        name="external_withdraw",
    ),
]
