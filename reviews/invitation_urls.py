"""The links in invitation mails (outside /reviewing/: the invitee is not on the committee yet)."""

from django.urls import path

from . import views

urlpatterns = [path("<str:token>/", views.invitation, name="invitation")]
