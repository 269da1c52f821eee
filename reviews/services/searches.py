"""Saved searches of the decision board: named queries shared by a workshop's chairs."""

from __future__ import annotations

from django.db import transaction

from workshop.activity import activity_record
from workshop.errors import ServiceError
from workshop.models import User, Workshop
from workshop.policy import require
from workshop.search import SearchContext, SearchError, search_compile

from .. import search as _keywords  # noqa: F401 - registers the keywords checked here
from ..models import SavedSearch


@transaction.atomic
def saved_search_save(*, workshop: Workshop, name: str, query: str, chair: User) -> SavedSearch:
    """Save (or replace) the named search. Asks `workshop.manage`; the query must parse.

    Side effects: one `search.save` activity entry (before/after query)."""
    require(chair, "workshop.manage", workshop, message="Only the chairs save searches.")
    name, query = name.strip(), query.strip()
    if not name:
        raise ServiceError("Give the search a name.")
    if len(name) > 80 or len(query) > 500:
        raise ServiceError("A name has at most 80 characters, a query at most 500.")
    if not query:
        raise ServiceError("There is no search to save: type a query first.")
    try:  # compiled, not only parsed: a keyword's value is checked too
        search_compile(query, SearchContext(frozenset({workshop.pk})))
    except SearchError as exc:
        raise ServiceError(f"The search cannot be saved: {exc.message}.") from None
    saved = SavedSearch.objects.select_for_update().filter(workshop=workshop, name=name).first()
    before = {"query": saved.query} if saved else None
    if saved is None:
        saved = SavedSearch.objects.create(
            workshop=workshop, name=name, query=query, created_by=chair
        )
    else:
        saved.query = query
        saved.save(update_fields=["query", "updated_at"])
    activity_record(
        actor=chair, target=saved, workshop=workshop, action="search.save",
        summary=f"Saved search “{name}”: {query}", before=before, after={"query": query},
    )  # fmt: skip
    return saved


@transaction.atomic
def saved_search_delete(*, saved: SavedSearch, chair: User) -> None:
    """Delete a saved search. Asks `workshop.manage`. Side effects: one `search.delete`
    activity entry."""
    require(chair, "workshop.manage", saved.workshop, message="Only the chairs delete searches.")
    locked = SavedSearch.objects.select_for_update().filter(pk=saved.pk).first()
    if locked is None:
        return
    activity_record(
        actor=chair, target=None, workshop=saved.workshop, action="search.delete",
        summary=f"Saved search “{locked.name}” deleted", before={"query": locked.query},
    )  # fmt: skip
    locked.delete()
