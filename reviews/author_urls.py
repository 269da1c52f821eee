"""The authors' view of their reviews (under /submissions/, where authors find their papers)."""

from django.urls import path

from .views.authors import author_reviews

urlpatterns = [path("<int:pk>/reviews/", author_reviews, name="author_reviews")]
