"""Public forums of open reviewing, under /w/<slug>/forum/ (included by workshop.urls)."""

from django.urls import path

from .feeds import ForumFeed
from .views import public

app_name = "forum"

urlpatterns = [
    path("forum/", public.index, name="index"),
    path("forum/feed.atom", ForumFeed(), name="feed"),
    path("forum/moderation/", public.moderation, name="moderation"),
    path("forum/<int:number>/", public.forum, name="paper"),
    path("forum/<int:number>/comment/", public.comment, name="comment"),
    path("forum/<int:number>/paper.pdf", public.pdf, name="pdf"),
]
