"""Admin access for chairs, scoped to the workshops they chair.

Chairs are staff but not superusers and hold no model permissions. Every permission
question is answered by the policy (`can(user, "workshop.manage", workshop)`), and every
row and every choice the admin offers (changelists, change views, searches, filters,
actions, foreign-key, many-to-many and raw-id choices) goes through ONE function,
`scope_choices`, which finds the way from any model to its workshop by walking the
foreign keys (`workshop.relations`: `workshop`, `submission__workshop`, ...).
People are offered only when they are connected to the chair's workshops (members, or
authors of their papers). An id of another workshop's object gives 404 in a URL and
"Select a valid choice" in a form, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import get_fields_from_path
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase

from .models import User, Workshop
from .phases import most_pressing
from .policy import can
from .relations import WORKSHOP, relation_path, workshop_of
from .selectors import chaired_workshop_ids
from .tracks import chaired_tracks, scope_rows_q
from .validators import OneLineAdmin, whole_number

# The ways a person is connected to workshops beyond membership, contributed by the apps
# above this one (they call down: `user_links_register`): e.g. authors of their papers.
_USER_LINKS: list[Callable[[frozenset[int]], Q]] = []


def user_links_register(link: Callable[[frozenset[int]], Q]) -> None:
    """Add a condition (on `User`) that connects people to the given workshop ids."""
    if link not in _USER_LINKS:
        _USER_LINKS.append(link)


def connected_users(workshop_ids: Iterable[int]) -> models.QuerySet[User]:
    """People connected to the workshops: members (any role), and whatever the apps above
    register (authors through their papers' author lists and as creators)."""
    ids = frozenset(workshop_ids)
    condition = Q(memberships__workshop__in=ids)
    for link in _USER_LINKS:
        condition |= link(ids)
    return User.objects.filter(pk__in=User.objects.filter(condition).values("pk"))


def scope_choices(queryset: models.QuerySet, user: Any, *, tracks: bool = False) -> models.QuerySet:
    """`queryset` limited to what `user` may see or pick in the admin.

    Superusers see all; chairs see the rows of the workshops they chair and the people
    connected to them; a model with no way to a workshop offers nothing. With `tracks` (the
    tools a track chair enters), also the rows of the papers of the tracks the user chairs
    (issue 27) and the people of those tracks: their committee and their papers' authors.
    """
    if user.is_superuser:
        return queryset
    ids = chaired_workshop_ids(user)
    track_ids = frozenset().union(*chaired_tracks(user).values()) if tracks else frozenset()
    model = queryset.model._meta.concrete_model or queryset.model
    if issubclass(model, User):
        people = Q(pk__in=connected_users(ids).values("pk"))
        if track_ids:
            people |= Q(pk__in=track_people(track_ids).values("pk"))
        return queryset.filter(people)
    path = relation_path(model, WORKSHOP)
    if path is None:
        return queryset.none()
    condition = Q(**{f"{path}__in" if path else "pk__in": ids})
    in_tracks = scope_rows_q(model, track_ids)
    if in_tracks is not None:
        condition |= in_tracks
    return queryset.filter(condition)


def track_people(track_ids: frozenset[int]) -> models.QuerySet[User]:
    """The people of these tracks: their members (chairs, committee) and whatever the apps
    above register for their papers (`user_links_register` with the track ids' papers)."""
    condition = Q(track_roles__track__in=sorted(track_ids))
    for link in _TRACK_USER_LINKS:
        condition |= link(track_ids)
    return User.objects.filter(condition)


# The ways a person is connected to the papers of tracks (authors), from the apps above.
_TRACK_USER_LINKS: list[Callable[[frozenset[int]], Q]] = []


def track_user_links_register(link: Callable[[frozenset[int]], Q]) -> None:
    """Add a condition (on `User`) that connects people to the papers of the given tracks."""
    if link not in _TRACK_USER_LINKS:
        _TRACK_USER_LINKS.append(link)


def in_chosen_workshop(request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
    """The rows of the workshop the changelist shows (its `<path>__id__exact` parameter),
    or all of them when it shows several."""
    path = relation_path(queryset.model, WORKSHOP)
    if not path:
        return queryset
    wanted = whole_number(request.GET.get(f"{path}__id__exact", ""))
    return queryset.filter(**{f"{path}__id": wanted}) if wanted is not None else queryset


class ScopedRelatedFilter(admin.RelatedOnlyFieldListFilter):
    """A relation filter offering only the related objects the chair's own rows use, and
    among them only those the chair may see (`scope_choices`); with one workshop chosen,
    only that workshop's (never a mixed list of every workshop's topics or types)."""

    def field_choices(self, field, request, model_admin):  # type: ignore[no-untyped-def]
        rows = model_admin.get_queryset(request)
        if field.related_model is not Workshop:  # the workshop filter itself offers them all
            rows = in_chosen_workshop(request, rows)
        used = rows.distinct().values_list(f"{self.field_path}__pk", flat=True)
        allowed = scope_choices(field.related_model._default_manager.all(), request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False,
            limit_choices_to=Q(pk__in=used) & Q(pk__in=allowed.values("pk")),
            ordering=ordering,
        )


class ScopedValuesFilter(admin.AllValuesFieldListFilter):
    """A filter by the values a column takes, among the rows of the workshop shown. The
    values are a DISTINCT over those rows (every mail of a workshop, for the outbox's
    kinds), so they are cached for a few minutes per workshop and person: a new kind
    appears in the filter within `CACHE_SECONDS`."""

    CACHE_SECONDS = 300

    def __init__(self, field, request, params, model, model_admin, field_path):  # type: ignore[no-untyped-def]
        super().__init__(field, request, params, model, model_admin, field_path)
        shown = request.GET.get(f"{relation_path(model, WORKSHOP)}__id__exact", "")
        key = "admin-values:{}:{}:{}:{}".format(
            model._meta.label_lower, field_path, request.user.pk,
            shown if shown.isdigit() and len(shown) <= 12 else "all",
        )  # fmt: skip
        choices = cache.get(key)
        if choices is None:
            queryset = in_chosen_workshop(request, model_admin.get_queryset(request))
            choices = list(
                queryset.order_by(field_path).values_list(field_path, flat=True).distinct()
            )
            cache.set(key, choices, self.CACHE_SECONDS)
        self.lookup_choices = choices


class OneWorkshopAtATime:
    """A changelist that shows one workshop at a time (chairs of several get a switcher on
    top, and the filters of the workshop shown): opened without one, it shows the most
    pressing (`workshop.phases.most_pressing`: the one deciding first), for the page and
    for its actions alike; `?submission_id=` (one paper's mail) is not narrowed."""

    workshop_param = "workshop__id__exact"

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        chaired = list(Workshop.objects.filter(pk__in=chaired_workshop_ids(request.user)))
        wanted = request.GET.get(self.workshop_param, "")
        if chaired and not wanted and "submission_id" not in request.GET:
            query = request.GET.copy()
            wanted = query[self.workshop_param] = str(most_pressing(chaired).pk)
            request.GET = query
        if len(chaired) > 1:
            links = []
            for workshop in sorted(chaired, key=lambda w: w.short_name.lower()):
                query = request.GET.copy()
                query[self.workshop_param] = str(workshop.pk)
                for key in list(query):
                    # Another workshop's topic, type or page means nothing there.
                    if key not in (self.workshop_param, "q", "status__exact", "o"):
                        del query[key]
                links.append((workshop, f"?{query.urlencode()}", str(workshop.pk) == wanted))
            extra_context = {**(extra_context or {}), "workshop_switcher": links}
        return super().changelist_view(request, extra_context)  # type: ignore[misc]


def _json_field_emptied_to(default: Callable[[], Any]) -> type[forms.JSONField]:
    """A JSON form field that reads an emptied box as the column's default (`[]`), not as
    NULL, which a NOT NULL column refuses (a 500)."""

    class EmptiedToDefault(forms.JSONField):
        def to_python(self, value: Any) -> Any:
            result = super().to_python(value)
            return default() if result is None else result

    return EmptiedToDefault


class ChairScopedMixin(OneLineAdmin):
    """Shared by model admins and inlines: the policy decides, `scope_choices` scopes.

    `policy_permission` is the named permission a chair needs on the object's workshop.
    """

    policy_permission = "workshop.manage"
    # A tool a track chair enters too (issue 27): it then shows their tracks' papers only.
    track_scoped = False

    def chaired(self, request: HttpRequest) -> frozenset[int]:
        """The workshops whose chair tools the requester enters here: those they chair, and
        for a track-scoped tool those in which they chair a track."""
        ids = chaired_workshop_ids(request.user)
        if self.track_scoped:
            ids = ids | frozenset(chaired_tracks(request.user))
        return ids

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

    def may_touch(self, request: HttpRequest, obj: models.Model | None) -> bool:
        """The policy's answer for the object's workshop; without an object, whether the
        requester chairs anything (the admin then scopes every row)."""
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if obj is None:
            return user.is_superuser or bool(self.chaired(request))
        workshop = workshop_of(obj)
        if workshop is None:
            return user.is_superuser
        return can(user, self.policy_permission, workshop)

    def scope(self, request: HttpRequest, qs: models.QuerySet) -> models.QuerySet:
        return scope_choices(qs, request.user, tracks=self.track_scoped)

    def _scoped_field_kwargs(self, db_field, request, kwargs):  # type: ignore[no-untyped-def]
        if request.user.is_superuser:
            return kwargs
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = self.get_field_queryset(None, db_field, request)  # type: ignore[attr-defined]
        if queryset is None:
            queryset = db_field.related_model._default_manager.all()
        kwargs["queryset"] = scope_choices(queryset, request.user, tracks=self.track_scoped)
        return kwargs

    def formfield_for_dbfield(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(db_field, models.JSONField) and not db_field.null and db_field.has_default():
            kwargs.setdefault("form_class", _json_field_emptied_to(db_field.get_default))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        kwargs = self._scoped_field_kwargs(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        kwargs = self._scoped_field_kwargs(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class ForgedChangelistInput:
    """Changelist input only a forged request sends is a message or no rows, never a 500:
    an action's selection of ids that are not ids, and a search longer than anything stored
    (SQLite refuses a LIKE pattern over 50,000 bytes). For every model admin of the project,
    the ones it takes from Django and allauth included."""

    longest_search = 1000  # characters

    def response_action(self, request, queryset):  # type: ignore[no-untyped-def]
        pk = self.model._meta.pk
        try:
            for value in request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME):
                pk.to_python(value)
        except ValidationError:
            self.message_user(request, "The selection names no valid rows.", messages.WARNING)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        if len(search_term) > self.longest_search:
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


class ChairScopedAdmin(ForgedChangelistInput, ChairScopedMixin, admin.ModelAdmin):
    """A ModelAdmin whose every view is limited to the requesting chair's workshops."""

    chairs_may_add = True
    chairs_may_delete = True

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return self.scope(request, super().get_queryset(request))

    def get_changelist_formset(self, request: HttpRequest, **kwargs):  # type: ignore[no-untyped-def]
        return labelled_formset(super().get_changelist_formset(request, **kwargs))

    def get_list_filter(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        """Relation filters offer only objects the chair may see and their rows use: the
        default filter would list every workshop's topics, types or people."""
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and not request.user.is_superuser:
                try:
                    field = get_fields_from_path(self.model, entry)[-1]
                except FieldDoesNotExist:
                    field = None
                if field is not None and field.is_relation:
                    entry = (entry, ScopedRelatedFilter)
            filters.append(entry)
        return filters

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.may_touch(request, None)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.may_touch(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.may_touch(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        if request.user.is_superuser:
            return request.user.is_active and request.user.is_staff and self._can_add(request)
        return self.chairs_may_add and self.may_touch(request, None)

    def _can_add(self, request: HttpRequest) -> bool:
        """Whether the add form can save a row: no field the row needs is read-only in it
        (a paper's number, a profile's person): such rows are made by their services."""
        readonly = set(self.get_readonly_fields(request, None))
        return not any(
            f.name in readonly and not f.null and not f.has_default() and not f.primary_key
            for f in self.model._meta.concrete_fields
        )

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        if request.user.is_superuser:
            return self.may_touch(request, obj)
        return self.chairs_may_delete and self.may_touch(request, obj)

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


def labelled_formset(formset: type) -> type:
    """`formset` whose every input is named after its column and its row (“Required, Overall
    merit”): a table of forms (a tabular inline, a changelist's editable columns) shows each
    label once, in its header, so its inputs had no name for a screen reader (axe `label`,
    `select-name`)."""

    class LabelledFormSet(formset):  # type: ignore[misc, valid-type]
        def add_fields(self, form, index):  # type: ignore[no-untyped-def]
            super().add_fields(form, index)
            instance = getattr(form, "instance", None)
            if instance is not None and instance.pk is not None:
                row = f", {instance}"
            else:
                row = "" if index is None else f", row {index + 1}"
            for field in form.fields.values():
                field.widget.attrs.setdefault("aria-label", f"{field.label}{row}")

    return LabelledFormSet


class ScrollingTabularInline(admin.TabularInline):
    """A tabular inline whose table scrolls sideways in a box of its own, one that the
    keyboard reaches and that is named after the inline, so that a wide table (a paper's file
    versions) never makes the page wider than the screen, at 1,280 px as at 375 px."""

    template = "admin/edit_inline/tabular_scroll.html"

    def get_formset(self, request, obj=None, **kwargs):  # type: ignore[no-untyped-def]
        return labelled_formset(super().get_formset(request, obj, **kwargs))


class ChairScopedInline(ChairScopedMixin):
    """For inlines: the parent object decides (a chair edits children of their workshop)."""

    def get_formset(self, request, obj=None, **kwargs):  # type: ignore[no-untyped-def]
        """The rows' hidden id field accepts only ids in scope (Django's default is every
        row of the table, for the empty form)."""
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        user = request.user

        class ScopedFormSet(formset):  # type: ignore[misc, valid-type]
            def add_fields(self, form, index):  # type: ignore[no-untyped-def]
                super().add_fields(form, index)
                field = form.fields.get(self._pk_field.name)
                if field is not None and getattr(field, "queryset", None) is not None:
                    field.queryset = scope_choices(field.queryset, user)

        return ScopedFormSet

    def has_view_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return self.may_touch(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return self.may_touch(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return self.may_touch(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return self.may_touch(request, obj)


class ReadOnlyInline(ChairScopedInline):
    """An inline that only shows (files, authors): its rows change through services."""

    can_delete = False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class ConfigAdminMixin:
    """For configuration rows (the workshop's settings, topics, submission types, review
    questions, decision categories): every save and delete, in the form, the changelist's
    editable columns and inlines, goes through `workshop.services.config_save` /
    `config_delete`, which ask `workshop.manage` and write one activity entry each."""

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        from .services import config_save

        config_save(actor=request.user, instance=obj)

    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        from .services import config_delete

        config_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change) -> None:  # type: ignore[no-untyped-def]
        from .services import config_delete, config_save

        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            config_delete(actor=request.user, instance=obj)
        for obj in instances:
            config_save(actor=request.user, instance=obj)
        formset.save_m2m()
