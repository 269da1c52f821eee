"""The links in invitation mails (outside /reviewing/: the invitee is not on the committee yet)."""

from django.urls import path

from . import views
from .views import external

urlpatterns = [
    path("external/<str:token>/", external.external_invitation, name="external_invitation"),
    path("<str:token>/", views.invitation, name="invitation"),
]
