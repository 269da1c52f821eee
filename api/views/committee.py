"""The committee: members, invitations (bulk, with `dry_run`), bids (a member's own; the
chairs all), chair-set conflicts, and assignment runs (start, poll, commit)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from reviews.models import (
    Bid,
    ConflictDeclaration,
    ConflictOverride,
    Invitation,
    MatchingRun,
    ReviewerProfile,
)
from reviews.permissions import bidding_facts_prefill
from reviews.selectors.conflicts import conflicts_for
from reviews.services.assignment import matching_run_commit, matching_run_create
from reviews.services.committee import bid_place, conflict_override_set
from reviews.services.invitations import InvitationRow, invitations_bulk
from submissions.models import AuthorConflict, Submission
from workshop.errors import NotFound
from workshop.models import Membership, Role
from workshop.validators import validate_one_line

from .. import access
from ..selectors import people_of
from ..serializers import COMMITTEE_ROLES, ID_BOUNDS
from .base import ApiView, dry_run_or_apply, number_param


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.name")

    class Meta:
        model = Membership
        fields = ["id", "email", "name", "role", "created_at"]


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = ["id", "email", "name", "role", "status"]


class InvitationRowSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField(
        required=False, allow_blank=True, default="", validators=[validate_one_line]
    )
    role = serializers.ChoiceField(choices=COMMITTEE_ROLES, default=Role.REVIEWER)


class InvitationBulkSerializer(serializers.Serializer):
    invitations = InvitationRowSerializer(many=True, min_length=1, max_length=500)
    dry_run = serializers.BooleanField(default=False)


class InvitationBulkResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    invited = serializers.ListField(child=serializers.EmailField())
    skipped = serializers.ListField(child=serializers.CharField())


class BidSerializer(serializers.Serializer):
    paper = serializers.IntegerField()
    reviewer = serializers.CharField(help_text="The bidder's address (chairs' view only).")
    value = serializers.CharField()


class BidWriteSerializer(serializers.Serializer):
    paper = serializers.IntegerField(**ID_BOUNDS)
    value = serializers.ChoiceField(choices=Bid._meta.get_field("value").choices)


class ConflictSerializer(serializers.Serializer):
    paper = serializers.IntegerField(**ID_BOUNDS)
    person = serializers.EmailField()
    conflicted = serializers.BooleanField()
    reason = serializers.CharField(max_length=300)


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = MatchingRun
        fields = ["id", "mode", "parameters", "status", "progress", "progress_message", "error",
                  "result", "created_at", "finished_at", "committed_at"]  # fmt: skip
        read_only_fields = fields


class RunCreateSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=MatchingRun._meta.get_field("mode").choices,
                                   default="max_total")  # fmt: skip
    parameters = serializers.DictField(required=False, default=dict)


class RunCommitSerializer(serializers.Serializer):
    during_bidding = serializers.BooleanField(
        default=False,
        help_text="Commit although the workshop's bidding is still open (refused with 409 "
        "`bidding_open` without it, as the chairs' page asks first).",
    )


class CommitResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    notified = serializers.IntegerField()


class MemberList(ApiView):
    """The workshop's members and their roles (chairs: `reviews.manage_committee`)."""

    orderings = {"name": ("user__name",), "email": ("user__email",), "role": ("role",)}
    serializer_class = MemberSerializer

    @extend_schema(responses={200: MemberSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.manage_committee", workshop)
        queryset = Membership.objects.filter(workshop=workshop).select_related("user")
        role = request.query_params.get("role")
        if role:
            queryset = queryset.filter(role=role)
        page = self.paginate_queryset(queryset.order_by("role", "user__name", "pk"))
        return self.get_paginated_response(MemberSerializer(page, many=True).data)


class InvitationList(ApiView):
    """Invitations (chairs). POST invites many at once through the invitation service; with
    `dry_run: true` nothing is kept and no mail is queued."""

    orderings = {"email": ("email",), "status": ("status",), "created": ("pk",)}
    serializer_class = InvitationSerializer

    @extend_schema(responses={200: InvitationSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.manage_committee", workshop)
        page = self.paginate_queryset(Invitation.objects.filter(workshop=workshop).order_by("pk"))
        return self.get_paginated_response(InvitationSerializer(page, many=True).data)

    @extend_schema(request=InvitationBulkSerializer,
                   responses={200: InvitationBulkResultSerializer})  # fmt: skip
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.manage_committee", workshop,
                     "Only the chairs of this workshop can invite its committee.")  # fmt: skip
        data = InvitationBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = [InvitationRow(name=r["name"], email=r["email"], role=r["role"])
                for r in data.validated_data["invitations"]]  # fmt: skip

        def work():
            made, skipped = invitations_bulk(workshop=workshop, rows=rows,
                                             invited_by=request.user)  # fmt: skip
            return ([i.email for i in made], skipped), True

        dry_run = data.validated_data["dry_run"]
        (invited, skipped), applied = dry_run_or_apply(dry_run, work)
        return Response({"dry_run": dry_run, "applied": applied, "invited": invited,
                         "skipped": skipped})  # fmt: skip


class BidList(ApiView):
    """Bids: a committee member's own (PUT one with `paper` and `value`, in the bidding
    window); the chairs read everyone's."""

    orderings = {"paper": ("submission__number",), "value": ("value",)}
    serializer_class = BidSerializer

    @extend_schema(responses={200: BidSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        queryset = Bid.objects.filter(submission__workshop=workshop).select_related(
            "submission", "user"
        )
        everyone = access.allows(request, "reviews.manage_committee", workshop)
        if not everyone:
            access.check(request, "reviews.view_bidding", workshop)
            queryset = queryset.filter(user=request.user)
        page = self.paginate_queryset(queryset.order_by("submission__number", "pk"))
        shown = page
        if not everyone:
            conflicts = conflicts_for(workshop, user_ids=[request.user.pk], include_drafts=True)
            for bid in page:
                bid.submission.workshop = workshop
                bidding_facts_prefill(bid.submission, request.user, conflicts)
            shown = [b for b in page if access.allows(request, "reviews.view_bidding",
                                                      b.submission)]  # fmt: skip
        rows = [{"paper": b.submission.number, "value": b.value,
                 "reviewer": b.user.email if everyone else ""} for b in shown]  # fmt: skip
        return self.get_paginated_response(rows)

    @extend_schema(request=BidWriteSerializer, responses={200: BidSerializer})
    def put(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        data = BidWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        paper = Submission.objects.filter(workshop=workshop,
                                          number=data.validated_data["paper"]).first()  # fmt: skip
        if paper is None:
            raise NotFound()
        bid = bid_place(user=request.user, submission=paper, value=data.validated_data["value"])
        return Response({"paper": paper.number, "value": bid.value, "reviewer": ""})


class ConflictList(ApiView):
    """Conflicts the chairs set or lifted (`reviews.set_conflict`); POST sets or lifts one,
    with a reason, through the conflict service."""

    orderings = {"paper": ("submission__number",)}
    serializer_class = ConflictSerializer

    @extend_schema(parameters=[], responses={200: ConflictSerializer(many=True)})  # fmt: skip
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.set_conflict", workshop)
        queryset = ConflictOverride.objects.filter(submission__workshop=workshop).select_related(
            "submission", "user"
        )
        if (number := number_param(request)) is not None:
            queryset = queryset.filter(submission__number=number)
        page = self.paginate_queryset(queryset.order_by("submission__number", "pk"))
        rows = [{"paper": c.submission.number, "person": c.user.email,
                 "conflicted": c.conflicted, "reason": c.reason} for c in page]  # fmt: skip
        return self.get_paginated_response(rows)

    @extend_schema(request=ConflictSerializer,
                   responses={201: ConflictSerializer})  # fmt: skip
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.set_conflict", workshop,
                     "Only the chairs set or lift conflicts.")  # fmt: skip
        data = ConflictSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        paper = Submission.objects.filter(workshop=workshop,
                                          number=data.validated_data["paper"]).first()  # fmt: skip
        if paper is None:
            raise NotFound()
        person = people_of(workshop).filter(email__iexact=data.validated_data["person"]).first()
        if person is None:  # the same answer for another workshop's person and for no one
            raise serializers.ValidationError({"person": [
                "No committee member or author of this workshop has this address."]})  # fmt: skip
        override = conflict_override_set(
            submission=paper, user=person, conflicted=data.validated_data["conflicted"],
            reason=data.validated_data["reason"], chair=request.user,
        )  # fmt: skip
        return Response({"paper": paper.number, "person": person.email,
                         "conflicted": override.conflicted, "reason": override.reason},
                        status=status.HTTP_201_CREATED)  # fmt: skip


class DeclaredConflictSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["reviewer", "authors"])
    paper = serializers.IntegerField(allow_null=True, help_text="The authors' paper.")
    person = serializers.CharField(allow_blank=True, help_text="Who declared (a reviewer) "
                                   "or whom (the authors' committee member).")  # fmt: skip
    kind = serializers.CharField(help_text="email, name or institution (reviewers); member "
                                 "or institution (authors).")  # fmt: skip
    value = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)


class DeclaredConflictList(ApiView):
    """Conflicts declared by reviewers (people and institutions) and by the authors of
    papers (committee members, institutions), as the chairs read them
    (`reviews.set_conflict`). Two queries; `?paper=` keeps the authors' of one paper."""

    serializer_class = DeclaredConflictSerializer

    @extend_schema(responses={200: DeclaredConflictSerializer(many=True)})  # fmt: skip
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.set_conflict", workshop)
        number = number_param(request)
        rows = []
        if number is None:
            rows += [
                {"source": "reviewer", "paper": None, "person": d.user.email, "kind": d.kind,
                 "value": d.value, "reason": d.reason}
                for d in ConflictDeclaration.objects.filter(workshop=workshop)
                .select_related("user").order_by("user__email", "pk")
            ]  # fmt: skip
        authors = AuthorConflict.objects.filter(submission__workshop=workshop)
        if number is not None:
            authors = authors.filter(submission__number=number)
        rows += [
            {"source": "authors", "paper": c.submission.number,
             "person": c.member.email if c.member else "",
             "kind": "member" if c.member else "institution",
             "value": c.member.name if c.member else c.institution, "reason": c.reason}
            for c in authors.select_related("submission", "member")
            .order_by("submission__number", "pk")
        ]  # fmt: skip
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(page)


class ProfileRowSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()
    expertise_text = serializers.CharField(allow_blank=True)
    topics = serializers.DictField(child=serializers.CharField(), help_text="topic: level")
    max_load = serializers.IntegerField()
    requested_max_load = serializers.IntegerField(allow_null=True)
    load_request_approved = serializers.BooleanField()


class ProfileList(ApiView):
    """The committee's reviewer profiles (expertise, topic levels, loads), as the chairs
    read them (`reviews.manage_committee`)."""

    orderings = {"name": ("user__name",), "email": ("user__email",)}
    serializer_class = ProfileRowSerializer

    @extend_schema(responses={200: ProfileRowSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.manage_committee", workshop)
        queryset = (
            ReviewerProfile.objects.filter(workshop=workshop)
            .select_related("user", "workshop")
            .prefetch_related("topics__topic")
            .order_by("user__name", "pk")
        )
        page = self.paginate_queryset(queryset)
        rows = [
            {"email": p.user.email, "name": p.user.name, "expertise_text": p.expertise_text,
             "topics": {e.topic.name: e.level for e in p.topics.all()},
             "max_load": p.max_load, "requested_max_load": p.requested_max_load,
             "load_request_approved": p.load_request_approved}
            for p in page
        ]  # fmt: skip
        return self.get_paginated_response(rows)


def _run(request, slug: str, pk: int) -> MatchingRun:
    workshop = access.workshop_get(request, slug)
    access.check(request, "reviews.assign", workshop, "Only the chairs run the assignment.")
    run = MatchingRun.objects.filter(workshop=workshop, pk=pk).first()
    if run is None:
        raise NotFound()
    return run


class RunCreate(ApiView):
    """Start an assignment run (chairs); a worker computes it, poll it for progress."""

    serializer_class = RunSerializer

    @extend_schema(request=RunCreateSerializer, responses={201: RunSerializer})
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        data = RunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = matching_run_create(workshop=workshop, chair=request.user,
                                  mode=data.validated_data["mode"],
                                  parameters=data.validated_data["parameters"])  # fmt: skip
        run.refresh_from_db()
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class RunDetail(ApiView):
    """A run's progress, then its preview and diagnosis (`result`)."""

    serializer_class = RunSerializer

    @extend_schema(responses={200: RunSerializer})
    def get(self, request, slug: str, pk: int):
        return Response(RunSerializer(_run(request, slug, pk)).data)


class RunCommit(ApiView):
    """Make a finished run the assignment (refused if the assignment changed meanwhile).
    While the workshop's bidding is open it answers 409 (`bidding_open`, naming when bidding
    closes) unless the body says `"during_bidding": true`."""

    serializer_class = CommitResultSerializer

    @extend_schema(request=RunCommitSerializer, responses={
        200: CommitResultSerializer,
        409: OpenApiResponse(
            response={"$ref": "#/components/schemas/Error"},
            description="Bidding is still open and `during_bidding` was not sent (code "
            "`bidding_open`; the message says when bidding closes).",
        ),
    })  # fmt: skip
    def post(self, request, slug: str, pk: int):
        run = _run(request, slug, pk)
        data = RunCommitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        during_bidding = data.validated_data["during_bidding"]
        counts = matching_run_commit(run=run, chair=request.user, during_bidding=during_bidding)
        return Response(counts)
