"""Admin access for chairs, scoped to the workshops they chair.

Chairs are staff but not superusers and hold no model permissions: every permission
question is answered here from their memberships. Every changelist, change view, search,
filter, action and foreign-key choice shows only their workshops' objects; an id of
another workshop's object gives 404, whatever URL is typed.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from .models import Workshop
from .selectors import chaired_workshop_ids


class ChairScopedMixin:
    """Shared by model admins and inlines. `workshop_path` leads from the model to its
    workshop's id (ORM lookup syntax), e.g. "workshop" or "submission__workshop"."""

    workshop_path = "workshop"

    def chaired(self, request: HttpRequest) -> frozenset[int]:
        return chaired_workshop_ids(request.user)

    def chaired_workshops(self, request: HttpRequest) -> models.QuerySet[Workshop]:
        return Workshop.objects.filter(pk__in=self.chaired(request))

    def chaired_workshop(self, request: HttpRequest, raw_id: object) -> Workshop:
        """One workshop the requester chairs, from a URL or form value; 404 for anything
        else (another workshop, a missing one, or garbage), never a 500."""
        try:
            pk = int(str(raw_id))
        except ValueError:
            raise Http404("No such workshop.") from None
        workshop = self.chaired_workshops(request).filter(pk=pk).first()
        if workshop is None:
            raise Http404("No such workshop.")
        return workshop

    def workshop_id_of(self, obj: models.Model) -> int | None:
        if isinstance(obj, Workshop):
            return obj.pk
        *hops, last = self.workshop_path.split("__")
        for hop in hops:
            obj = getattr(obj, hop, None)
            if obj is None:
                return None
        return getattr(obj, f"{last}_id", None)

    def may_touch(self, request: HttpRequest, obj: models.Model | None) -> bool:
        if request.user.is_superuser:
            return True
        chaired = self.chaired(request)
        if not chaired or not request.user.is_staff:
            return False
        return obj is None or self.workshop_id_of(obj) in chaired

    def scope(self, request: HttpRequest, qs: models.QuerySet) -> models.QuerySet:
        if request.user.is_superuser:
            return qs
        lookup = "pk__in" if qs.model is Workshop else f"{self.workshop_path}__in"
        return qs.filter(**{lookup: self.chaired(request)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        related = db_field.related_model
        if not request.user.is_superuser:
            if related is Workshop:
                kwargs["queryset"] = Workshop.objects.filter(pk__in=self.chaired(request))
            elif any(f.name == "workshop" for f in related._meta.fields):
                kwargs["queryset"] = related._default_manager.filter(
                    workshop__in=self.chaired(request)
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        related = db_field.related_model
        if not request.user.is_superuser and any(
            f.name == "workshop" for f in related._meta.fields
        ):
            kwargs["queryset"] = related._default_manager.filter(workshop__in=self.chaired(request))
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class ChairScopedAdmin(ChairScopedMixin, admin.ModelAdmin):
    """A ModelAdmin whose every view is limited to the requesting chair's workshops."""

    chairs_may_add = True
    chairs_may_delete = True

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return self.scope(request, super().get_queryset(request))

    def get_list_filter(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        """Relation filters offer only objects present in the chair's own rows: the default
        filter would list every workshop's topics, types or people."""
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and not request.user.is_superuser:
                try:
                    field = get_fields_from_path(self.model, entry)[-1]
                except FieldDoesNotExist:
                    field = None
                if field is not None and field.is_relation:
                    entry = (entry, admin.RelatedOnlyFieldListFilter)
            filters.append(entry)
        return filters

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.may_touch(request, None)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.may_touch(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.may_touch(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or (self.chairs_may_add and self.may_touch(request, None))

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return request.user.is_superuser or (
            self.chairs_may_delete and self.may_touch(request, obj)
        )

    def _require_in_scope(self, request: HttpRequest, object_id: str | None) -> None:
        if object_id is None:
            return
        pk = admin.utils.unquote(object_id)
        try:
            found = self.get_queryset(request).filter(pk=pk).exists()
        except (ValueError, TypeError):
            found = False
        if not found:
            raise Http404("No such object.")

    def change_view(self, request, object_id, form_url="", extra_context=None) -> HttpResponseBase:  # type: ignore[no-untyped-def]
        self._require_in_scope(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None) -> HttpResponseBase:  # type: ignore[no-untyped-def]
        self._require_in_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None) -> HttpResponseBase:  # type: ignore[no-untyped-def]
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)


class ChairScopedInline(ChairScopedMixin):
    """For inlines: the parent object decides (a chair edits children of their workshop).

    Here `workshop_path` leads from the *parent* model to its workshop.
    """

    def has_view_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return self.may_touch(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return self.may_touch(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return self.may_touch(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return self.may_touch(request, obj)
