"""Committee and reviewing pages: thin views over selectors and services."""

from .committee import bid, bids, dashboard, invitation, profile
from .reviewing import (
    assignment_decline,
    comment_post,
    markdown_preview,
    meta_review_save,
    paper,
    paper_pdf,
    review_autosave,
    review_submit,
)

__all__ = [
    "assignment_decline",
    "bid",
    "bids",
    "comment_post",
    "dashboard",
    "invitation",
    "markdown_preview",
    "meta_review_save",
    "paper",
    "paper_pdf",
    "profile",
    "review_autosave",
    "review_submit",
]
