from django.contrib import admin
from django.urls import include, path

from . import views

workshop_patterns = (
    [path("<slug:slug>/", views.workshop_detail, name="detail")],
    "workshop",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("w/", include(workshop_patterns)),
    path("w/<slug:slug>/", include("reviews.public_urls")),
    path("submissions/", include("submissions.urls")),
    path("submissions/", include("reviews.author_urls")),
    path("reviewing/", include("reviews.urls")),
    path("programme/", include("programme.urls")),
    path("invitations/", include("reviews.invitation_urls")),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/tokens/", include("api.page_urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
]

handler429 = "workshop.security.too_many_requests"
