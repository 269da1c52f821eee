"""What every endpoint shares: pages and their ordering, OPTIONS, dry runs. (The error
responses every operation may answer are added to the schema by `api.schema`.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import transaction
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from workshop.errors import NotFound

from ..metadata import ApiMetadata
from ..pagination import Pages

T = TypeVar("T")


class ListSchema(AutoSchema):
    """The `ordering` parameter of every list that declares `orderings`."""

    def get_override_parameters(self):  # type: ignore[no-untyped-def]
        parameters = super().get_override_parameters()
        orderings = getattr(self.view, "orderings", None)
        if orderings and self.method == "GET":
            keys = sorted([*orderings, *(f"-{k}" for k in orderings)])
            parameters = [
                *parameters,
                OpenApiParameter(
                    "ordering", str, enum=keys,
                    description="Sort by this key (a leading minus: descending).",
                ),
            ]  # fmt: skip
        return parameters


class ApiView(GenericAPIView):
    """A list declares `orderings` ({key: fields}); `?ordering=key` or `-key` sorts its
    pages by them (ties by the list's own order), anything else is a 400 naming the keys."""

    pagination_class = Pages
    metadata_class = ApiMetadata
    schema = ListSchema()
    orderings: dict[str, tuple[str, ...]] = {}

    def initial(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        """A NUL character names nothing: PostgreSQL refuses it in any text it is asked to
        compare (a 500 on `?q=` or a slug), so a path with one is missing (404) and a query
        parameter with one is invalid (400), before any view reads them."""
        super().initial(request, *args, **kwargs)
        if any("\x00" in str(value) for value in kwargs.values()):
            raise NotFound()
        for name, values in request.query_params.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                raise serializers.ValidationError(
                    {name.replace("\x00", ""): ["Null characters are not allowed."]}
                )

    def paginate_queryset(self, queryset):  # type: ignore[no-untyped-def]
        wanted = self.request.query_params.get("ordering", "")
        if self.orderings and wanted and hasattr(queryset, "order_by"):
            fields = self.orderings.get(wanted.lstrip("-"))
            if fields is None:
                keys = sorted([*self.orderings, *(f"-{k}" for k in self.orderings)])
                raise serializers.ValidationError({"ordering": [f"One of {keys}."]})
            sign = "-" if wanted.startswith("-") else ""
            queryset = queryset.order_by(*(f"{sign}{f}" for f in fields), *queryset.query.order_by)
        return super().paginate_queryset(queryset)


class _Rollback(Exception):
    def __init__(self, result: object) -> None:
        super().__init__("dry run")
        self.result = result


def dry_run_or_apply(dry_run: bool, work: Callable[[], tuple[T, bool]]) -> tuple[T, bool]:
    """Run `work` (which calls the real services) inside a transaction; keep what it did
    only if it succeeded (`work` returns (result, ok)) and this is not a dry run.

    A dry run is the real thing rolled back: the rules are the services' own, and the
    outbox rows and on-commit tasks written meanwhile vanish with the rollback, so no mail
    leaves and no task runs. Returns the result and whether it was applied.
    """
    try:
        with transaction.atomic():
            result, ok = work()
            if dry_run or not ok:
                raise _Rollback(result)
    except _Rollback as rollback:
        return rollback.result, False  # type: ignore[return-value]
    return result, True


def item(work: Callable[[], T]) -> T:
    """One item of a bulk action in its own savepoint (a refused one leaves no trace)."""
    with transaction.atomic():
        return work()


@csrf_exempt
def unknown_path(request, *args, **kwargs):
    """A path the API does not have: the same JSON 404 as a missing object, for every
    method (exempt from CSRF: there is nothing to protect, and a write must not get the
    site's HTML 403 instead of the API's answer)."""
    from django.http import JsonResponse

    from ..errors import NOT_FOUND_BODY

    return JsonResponse(NOT_FOUND_BODY, status=404)


def number_param(request, name: str = "paper") -> int | None:
    """A paper number from the query string (None when absent or not a plausible number)."""
    value = request.query_params.get(name, "")
    return int(value) if value.isdigit() and len(value) <= 9 else None
