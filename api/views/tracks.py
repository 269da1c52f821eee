"""A workshop's tracks (issue 27, part 4): read by anyone who reads the workshop, created or
changed by its chairs (`workshop.manage`, through `workshop.track_services.track_save`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from workshop.models import Track
from workshop.track_services import track_save

from .. import access
from .base import ApiView


class TrackSerializer(serializers.ModelSerializer):
    topics = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    submission_types = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Track
        fields = ["id", "name", "slug", "description", "order", "topics", "submission_types"]
        read_only_fields = fields


class TrackWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    slug = serializers.SlugField(max_length=40)
    description = serializers.CharField(max_length=255, required=False, default="",
                                        allow_blank=True)  # fmt: skip
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False, default=0)
    topics = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list,
        help_text="Ids of the workshop's topics; empty: every topic.",
    )  # fmt: skip


class TrackList(ApiView):
    """The workshop's tracks (a paper belongs to one where there are any). POST (chairs):
    create a track, or change the one with that slug."""

    orderings = {"order": ("order", "name"), "name": ("name",)}
    serializer_class = TrackSerializer

    @extend_schema(responses={200: TrackSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        tracks = Track.objects.filter(workshop=workshop).prefetch_related(
            "topics", "submission_types"
        )
        page = self.paginate_queryset(tracks.order_by("order", "name"))
        return self.get_paginated_response(TrackSerializer(page, many=True).data)

    @extend_schema(request=TrackWriteSerializer, responses={200: TrackSerializer})
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "workshop.manage", workshop,
                     "Only the chairs of this workshop configure its tracks.")  # fmt: skip
        data = TrackWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        track = track_save(
            actor=request.user, workshop=workshop, name=values["name"], slug=values["slug"],
            description=values["description"], order=values["order"], topic_ids=values["topics"],
        )  # fmt: skip
        return Response(TrackSerializer(track).data)
