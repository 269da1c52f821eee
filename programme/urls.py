from django.urls import path

from . import views, views_chair

app_name = "programme"

urlpatterns = [
    path("<slug:slug>/", views.programme_public, name="public"),
    path("<slug:slug>/programme.ics", views.programme_ics, name="ics"),
    path("<slug:slug>/session/<int:pk>.ics", views.session_ics, name="session_ics"),
    path("<slug:slug>/speaker/<int:pk>/photo", views.speaker_photo, name="speaker_photo"),
    path("<slug:slug>/paper/<int:number>/", views.presenter_page, name="paper"),
    path("<slug:slug>/paper/<int:number>/material", views.material_download, name="material"),
    path("<slug:slug>/edit/", views_chair.editor, name="edit"),
    path("<slug:slug>/edit/place/", views_chair.place, name="place"),
    path("<slug:slug>/edit/csv/", views_chair.csv_import, name="csv"),
    path("<slug:slug>/edit/publish/", views_chair.publish, name="publish"),
    path("<slug:slug>/edit/settings/", views_chair.settings_edit, name="settings"),
    path("<slug:slug>/edit/session/new/", views_chair.session_edit, name="session_new"),
    path("<slug:slug>/edit/session/<int:pk>/", views_chair.session_edit, name="session_edit"),
    path("<slug:slug>/edit/person/new/", views_chair.speaker_edit, name="speaker_new"),
    path("<slug:slug>/edit/person/<int:pk>/", views_chair.speaker_edit, name="speaker_edit"),
]
