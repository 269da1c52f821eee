"""The authors' view of their reviews (under /submissions/, where authors find their papers)."""

from django.urls import path

from .views.authors import author_reviews
from .views.rounds import author_revision

urlpatterns = [
    path("<int:pk>/reviews/", author_reviews, name="author_reviews"),
    path("<int:pk>/revision/", author_revision, name="author_revision"),
]
