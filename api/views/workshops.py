"""Workshops, topics, milestones; the activity log and the outbox (chairs, read only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from submissions.selectors import submissions_authored_by
from workshop.models import Activity, OutgoingMail, Workshop
from workshop.permissions import roles_prefill
from workshop.phases import milestones
from workshop.services import config_save

from .. import access
from ..serializers import (
    WORKSHOP_COMMITTEE_FIELDS,
    WORKSHOP_PUBLIC_FIELDS,
    ActivitySerializer,
    MilestoneSerializer,
    OutboxSerializer,
    TopicSerializer,
    WorkshopSerializer,
)
from .base import ApiView


def sees_every_date(request, workshop: Workshop) -> bool:
    """The chairs and the committee see every milestone (the milestones, the settings);
    anyone else the public ones, as on the workshop's page."""
    return access.allows(request, "workshop.manage", workshop) or access.allows(
        request, "reviews.edit_profile", workshop
    )


def settings_shown(request, workshop: Workshop) -> frozenset[str]:
    """The workshop's fields the caller reads: all for its chairs, the committee's for the
    committee, the public page's for anyone else."""
    if access.allows(request, "workshop.manage", workshop):
        return frozenset(WorkshopSerializer.Meta.fields)
    if sees_every_date(request, workshop):
        return WORKSHOP_COMMITTEE_FIELDS
    return WORKSHOP_PUBLIC_FIELDS


def workshop_data(request, workshop: Workshop) -> dict:
    return WorkshopSerializer(workshop, context={"shown": settings_shown(request, workshop)}).data


class WorkshopList(ApiView):
    """The workshops the caller takes part in (a role, or a paper), within the token's reach."""

    orderings = {"deadline": ("paper_deadline",), "name": ("short_name",)}
    serializer_class = WorkshopSerializer

    @extend_schema(responses={200: WorkshopSerializer(many=True)})
    def get(self, request):
        user = request.user
        authored = submissions_authored_by(user).values("workshop_id")
        queryset = (
            Workshop.objects.filter(Q(memberships__user=user) | Q(pk__in=authored))
            .distinct()
            .order_by("-paper_deadline", "pk")
        )
        ids = access.scope_ids(request)
        if ids is not None:
            queryset = queryset.filter(pk__in=ids)
        page = self.paginate_queryset(queryset)
        roles_prefill(user, [w.pk for w in page])  # one query for every row's circle
        return self.get_paginated_response([workshop_data(request, w) for w in page])


class WorkshopDetail(ApiView):
    """One workshop: its settings and milestones as the pages show them to the caller (the
    public ones; every date and the reviewing settings for its committee; everything for
    its chairs). Chairs change settings (PATCH) through the same service as the admin
    (`workshop.services.config_save`)."""

    serializer_class = WorkshopSerializer

    @extend_schema(responses={200: WorkshopSerializer})
    def get(self, request, slug: str):
        return Response(workshop_data(request, access.workshop_get(request, slug)))

    @extend_schema(request=WorkshopSerializer, responses={200: WorkshopSerializer})
    def patch(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "workshop.manage", workshop,
                     "Only the chairs configure the workshop.")  # fmt: skip
        serializer = WorkshopSerializer(workshop, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        for name, value in serializer.validated_data.items():
            setattr(workshop, name, value)
        try:
            workshop.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        config_save(actor=request.user, instance=workshop)
        return Response(workshop_data(request, workshop))


class TopicList(ApiView):
    orderings = {"order": ("order",), "name": ("name",)}
    serializer_class = TopicSerializer

    @extend_schema(responses={200: TopicSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        page = self.paginate_queryset(workshop.topics.order_by("order", "pk"))
        return self.get_paginated_response(TopicSerializer(page, many=True).data)


class MilestoneList(ApiView):
    """The milestones: the public ones, and all of them for the committee and the chairs."""

    serializer_class = MilestoneSerializer
    pagination_class = None

    @extend_schema(responses={200: MilestoneSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        items = milestones(workshop, public_only=not sees_every_date(request, workshop))
        return Response(MilestoneSerializer(items, many=True).data)


class ActivityList(ApiView):
    """The workshop's activity log, newest first (`workshop.view_activity`)."""

    orderings = {"at": ("at",), "action": ("action",)}
    serializer_class = ActivitySerializer

    @extend_schema(responses={200: ActivitySerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "workshop.view_activity", workshop)
        queryset = Activity.objects.filter(workshop=workshop).select_related("actor")
        action = request.query_params.get("action")
        if action:
            queryset = queryset.filter(action=action)
        page = self.paginate_queryset(queryset.order_by("-at", "-pk"))
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)


class OutboxList(ApiView):
    """The workshop's outgoing mail, newest first (`workshop.view_outbox`)."""

    orderings = {
        "created": ("created_at",),
        "status": ("status",),
        "to": ("to",),
        "kind": ("kind",),
    }
    serializer_class = OutboxSerializer

    @extend_schema(responses={200: OutboxSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "workshop.view_outbox", workshop)
        queryset = OutgoingMail.objects.filter(workshop=workshop)
        status = request.query_params.get("status")
        if status:
            queryset = queryset.filter(status=status)
        page = self.paginate_queryset(queryset.order_by("-created_at", "-pk"))
        return self.get_paginated_response(OutboxSerializer(page, many=True).data)
