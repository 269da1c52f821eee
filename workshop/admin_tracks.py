"""Tracks in the chair tools (issue 27, part 4): a workshop's tracks (configuration rows,
saved through `config_save`) and who chairs them or sits on their committee (given and
removed through `track_member_grant` / `track_member_revoke`)."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from .admin_scoping import ChairScopedAdmin, ConfigAdminMixin
from .models import Track, TrackMember
from .track_services import track_member_grant, track_member_problem, track_member_revoke
from .validators import OneLineInputs


class TrackMemberForm(OneLineInputs, forms.ModelForm):
    class Meta:
        model = TrackMember
        fields = ["track", "user", "role"]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("track") and data.get("user") and data.get("role"):
            problem = track_member_problem(track=data["track"], user=data["user"],
                                           role=data["role"])  # fmt: skip
            if problem:
                raise forms.ValidationError(problem)
        return data


@admin.register(Track)
class TrackAdmin(ConfigAdminMixin, ChairScopedAdmin):
    list_display = ["name", "slug", "workshop", "order"]
    list_filter = ["workshop"]
    search_fields = ["name", "slug"]
    filter_horizontal = ["topics"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(TrackMember)
class TrackMemberAdmin(ChairScopedAdmin):
    """A track's chairs and committee. Nothing is edited in place: a role is given or
    removed, each writing one activity entry."""

    policy_permission = "workshop.manage_members"
    form = TrackMemberForm
    list_display = ["user", "track", "role", "created_at"]
    list_filter = ["track__workshop", "track", "role"]
    search_fields = ["user__name", "user__email", "track__name"]
    list_select_related = ["user", "track__workshop"]
    raw_id_fields = ["user"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        saved = track_member_grant(
            track=obj.track, user=obj.user, role=obj.role, actor=request.user
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        track_member_revoke(track=obj.track, user=obj.user, role=obj.role, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for member in queryset.select_related("track__workshop", "user"):
            self.delete_model(request, member)
