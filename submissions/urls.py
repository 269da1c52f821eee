from django.urls import path

from . import views, views_fields, views_public

app_name = "submissions"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/<slug:slug>/", views.submission_new, name="new"),
    path("<int:pk>/", views.submission_detail, name="detail"),
    path("<int:pk>/edit/", views.submission_edit, name="edit"),
    path("<int:pk>/authors/", views.submission_authors, name="authors"),
    path("<int:pk>/conflicts/", views.submission_conflicts, name="conflicts"),
    path("<int:pk>/upload/<str:kind>/", views.submission_upload, name="upload"),
    path("<int:pk>/submit/", views.submission_submit, name="submit"),
    path("<int:pk>/withdraw/", views.submission_withdraw, name="withdraw"),
    path("<int:pk>/restore/", views.submission_restore, name="restore"),
    path("<int:pk>/paper.pdf", views.paper_download, name="paper"),
    path("<int:pk>/files/<int:file_pk>/", views.file_download, name="file"),
    path("<int:pk>/answers/<int:value_pk>/", views_fields.field_file, name="field_file"),
    path("<int:pk>/camera-ready/", views_public.camera_ready, name="camera_ready"),
    path("accepted/<slug:slug>/", views_public.accepted, name="accepted"),
    path("accepted/<slug:slug>/<int:number>.pdf", views_public.accepted_pdf, name="accepted_pdf"),
]
