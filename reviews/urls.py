from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<slug:slug>/profile/", views.profile, name="profile"),
    path("<slug:slug>/bids/", views.bids, name="bids"),
    path("<slug:slug>/bids/<int:pk>/", views.bid, name="bid"),
]
