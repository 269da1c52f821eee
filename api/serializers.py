"""What the API shows and takes. Fields that depend on who asks (authors, reviewer
identities, chairs-only answers) are filled by the views from the policy, never decided here.
"""

from __future__ import annotations

from rest_framework import serializers

from reviews.models import Assignment, LlmUse, Outcome
from submissions.models import Submission, SubmissionFile
from submissions.services.lifecycle import EDITABLE_FIELDS
from workshop.models import Activity, OutgoingMail, Role, Topic, Workshop
from workshop.phases import MILESTONE_FIELDS, PUBLIC_MILESTONES
from workshop.validators import validate_one_line

from .models import ApiToken, TokenScope

ID_BOUNDS = {"min_value": 1, "max_value": 2**31 - 1}  # ids and numbers the database can hold
COMMITTEE_ROLES = [(Role.REVIEWER.value, "Reviewer"), (Role.AREA_CHAIR.value, "Area chair")]


class TopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["id", "name", "description", "order"]


class MilestoneSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    at = serializers.DateTimeField()


# A workshop's settings in three circles, as the pages show them: the public page (its
# call, limits, contact and public dates: `PUBLIC_MILESTONES`); the committee's pages (every
# milestone, the reviewing settings); the chairs' configuration (the unadvertised grace).
WORKSHOP_PUBLIC_FIELDS = frozenset({
    "id", "slug", "name", "short_name", "contact_email", "anonymity", "page_limit",
    "upload_limit_mb", "rebuttal_word_limit", "is_public", "authors_withdraw_anytime",
    "reviews_released", "decisions_released", *PUBLIC_MILESTONES,
})  # fmt: skip
WORKSHOP_COMMITTEE_FIELDS = WORKSHOP_PUBLIC_FIELDS | {
    "reviews_per_paper", "other_reviews_visibility", "reviewer_max_load", "bids_requested",
    "review_llm_policy", "review_copy_canary", *(key for key, _ in MILESTONE_FIELDS),
}  # fmt: skip


class WorkshopSerializer(serializers.ModelSerializer):
    """Every setting; the view passes `shown` (from the policy: `WORKSHOP_PUBLIC_FIELDS`
    unless told otherwise) and the others are left out of the answer.

    Milestones are ISO 8601 instants with their offset, answered in UTC; one sent without
    an offset is read as UTC. `deadline_timezone` (chairs) is the zone the chairs' settings
    page shows and takes them in; it does not change what the API reads or writes."""

    class Meta:
        model = Workshop
        fields = [
            "id", "slug", "name", "short_name", "contact_email", "anonymity",
            "reviews_per_paper", "page_limit", "upload_limit_mb", "other_reviews_visibility",
            "reviewer_max_load", "bids_requested", "rebuttal_word_limit", "is_public",
            "authors_withdraw_anytime", "submission_opens", "abstract_deadline",
            "paper_deadline", "supplementary_deadline", "bidding_deadline", "review_deadline",
            "rebuttal_opens", "rebuttal_closes", "discussion_ends", "notification_date",
            "camera_ready_deadline", "deadline_timezone", "grace_minutes", "reviews_released",
            "decisions_released", "review_llm_policy", "review_copy_canary",
        ]  # fmt: skip
        read_only_fields = ["id", "slug", "reviews_released", "decisions_released"]
        # Not every caller gets every field: the schema must not promise them.
        extra_kwargs = {name: {"required": False} for name in fields
                        if name not in WORKSHOP_PUBLIC_FIELDS}  # fmt: skip

    def validate_name(self, value: str) -> str:
        validate_one_line(value)
        return value

    def validate_short_name(self, value: str) -> str:
        validate_one_line(value)
        return value

    def to_representation(self, instance: Workshop) -> dict:
        data = super().to_representation(instance)
        shown = self.context.get("shown", WORKSHOP_PUBLIC_FIELDS)
        return {name: value for name, value in data.items() if name in shown}


class AuthorSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()
    affiliation = serializers.CharField(allow_blank=True)
    is_contact = serializers.BooleanField()


class FileSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubmissionFile
        fields = ["id", "kind", "size", "pages", "sha256", "content_type", "uploaded_at"]


class SubmissionSerializer(serializers.ModelSerializer):
    workshop = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    secondary_topics = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    authors = AuthorSerializer(many=True, read_only=True)
    paper = FileSerializer(read_only=True, allow_null=True)
    supplementary = FileSerializer(read_only=True, allow_null=True)
    # Blank when not given: a plain string, not a "uri" (the schema must say what is sent).
    code_url = serializers.CharField(read_only=True)
    data_url = serializers.CharField(read_only=True)
    weights_url = serializers.CharField(read_only=True)

    class Meta:
        model = Submission
        fields = [
            "id", "workshop", "number", "status", *EDITABLE_FIELDS, "secondary_topics",
            "authors", "paper", "supplementary", "created_at", "updated_at", "submitted_at",
            "withdrawn_at",
        ]  # fmt: skip
        read_only_fields = fields


class SubmissionWriteSerializer(serializers.Serializer):
    """The author form's fields; the form (submissions.forms.SubmissionForm) validates them."""

    workshop = serializers.SlugField(required=False, help_text="On create: the workshop's slug.")
    title = serializers.CharField(required=False, max_length=300)
    abstract = serializers.CharField(required=False)
    tldr = serializers.CharField(required=False, allow_blank=True)
    keywords = serializers.CharField(required=False, allow_blank=True)
    submission_type = serializers.IntegerField(required=False, allow_null=True, **ID_BOUNDS)
    primary_topic = serializers.IntegerField(required=False, **ID_BOUNDS)
    secondary_topics = serializers.ListField(
        child=serializers.IntegerField(**ID_BOUNDS), required=False
    )
    llm_use = serializers.CharField(required=False)
    llm_use_description = serializers.CharField(required=False, allow_blank=True)
    code_url = serializers.CharField(required=False, allow_blank=True)
    code_licence = serializers.CharField(required=False, allow_blank=True)
    data_url = serializers.CharField(required=False, allow_blank=True)
    data_licence = serializers.CharField(required=False, allow_blank=True)
    weights_url = serializers.CharField(required=False, allow_blank=True)
    weights_licence = serializers.CharField(required=False, allow_blank=True)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class AssignmentSerializer(serializers.ModelSerializer):
    """A chair's view: who reviews which paper."""

    paper = serializers.IntegerField(source="submission.number", read_only=True)
    reviewer = serializers.EmailField(source="reviewer.email", read_only=True)
    reviewer_name = serializers.CharField(source="reviewer.name", read_only=True)
    review_status = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "paper", "reviewer", "reviewer_name", "role", "pseudonym", "locked",
                  "declined_at", "review_status"]  # fmt: skip

    def get_review_status(self, obj: Assignment) -> str | None:
        review = getattr(obj, "review", None)
        return review.status if review is not None else None


class OwnAssignmentSerializer(serializers.ModelSerializer):
    """A reviewer's view of their own assignment: the paper without its authors."""

    workshop = serializers.CharField(source="submission.workshop.slug", read_only=True)
    paper = serializers.IntegerField(source="submission.number", read_only=True)
    title = serializers.CharField(source="submission.title", read_only=True)
    review_status = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "workshop", "paper", "title", "role", "pseudonym", "review_status"]

    def get_review_status(self, obj: Assignment) -> str | None:
        try:
            return obj.review.status
        except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist: no review started
            return None


class AssignmentChangeSerializer(serializers.Serializer):
    paper = serializers.IntegerField(help_text="The paper's number in the workshop.", **ID_BOUNDS)
    reviewer = serializers.EmailField(help_text="The committee member's e-mail address.")
    role = serializers.ChoiceField(choices=COMMITTEE_ROLES, default=Role.REVIEWER)


class AssignmentBulkSerializer(serializers.Serializer):
    add = AssignmentChangeSerializer(many=True, required=False, default=list)
    remove = AssignmentChangeSerializer(many=True, required=False, default=list)
    dry_run = serializers.BooleanField(default=False)


class ChangeResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    paper = serializers.IntegerField()
    reviewer = serializers.CharField()
    role = serializers.CharField()
    ok = serializers.BooleanField()
    changed = serializers.BooleanField()
    message = serializers.CharField(allow_blank=True)


class BulkResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    results = ChangeResultSerializer(many=True)


class AnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    label = serializers.CharField()
    value = serializers.JSONField(allow_null=True)


class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    assignment = serializers.IntegerField()
    paper = serializers.IntegerField()
    reviewer = serializers.CharField(help_text="A pseudonym unless the caller chairs.")
    status = serializers.CharField()
    version = serializers.IntegerField()
    revision = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    answers = AnswerSerializer(many=True)
    llm_use = serializers.ChoiceField(
        choices=[("", "Not declared"), *LlmUse.choices],
        required=False,
        help_text="The declared use of language models (where the workshop has an LLM "
        "policy): to the chairs and the review's writer only.",
    )
    llm_statement = serializers.CharField(
        required=False, help_text="How a language model was used: as `llm_use`."
    )


class ReviewWriteSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text="{question id: answer}, as the review form takes them.",
    )
    llm_use = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="Where the workshop has an LLM policy (`review_llm_policy`): the answer to "
        "“Did you use an LLM for this review?” (no, language, yes; those the policy accepts). "
        "Required to submit there; ignored without a policy. Left out: unchanged.",
    )
    llm_statement = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="How a language model was used: required with `llm_use: yes` under the "
        "policy “Allowed, with a statement of how”. Left out: unchanged.",
    )
    submit = serializers.BooleanField(default=False)
    revision = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=2**31 - 1
    )


class DecisionBulkSerializer(serializers.Serializer):
    papers = serializers.ListField(
        child=serializers.IntegerField(**ID_BOUNDS), min_length=1, max_length=500
    )
    category = serializers.CharField(
        required=False,
        max_length=80,
        help_text='The decision category: its id or its name ("Accept (poster)").',
    )
    outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        required=False,
        help_text="Instead of `category`, where the workshop has one category of this "
        "outcome; refused (400, naming the categories in `fields.category`) "
        "where it has several, e.g. an oral and a poster accept.",
    )
    dry_run = serializers.BooleanField(default=False)

    def validate(self, data: dict) -> dict:
        if bool(data.get("category")) == bool(data.get("outcome")):
            raise serializers.ValidationError(
                {"category": ["Name the decision: `category` (id or name), or `outcome`."]}
            )
        return data


class DecisionChangeSerializer(serializers.Serializer):
    paper = serializers.IntegerField()
    title = serializers.CharField()
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField(allow_null=True)
    changed = serializers.BooleanField()
    unchanged = serializers.BooleanField()
    error = serializers.CharField(allow_blank=True)


class DecisionBulkResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    results = DecisionChangeSerializer(many=True)


class DecisionSerializer(serializers.Serializer):
    paper = serializers.IntegerField()
    outcome = serializers.CharField()
    category = serializers.CharField()


class ReleasedReviewSerializer(serializers.Serializer):
    reviewer = serializers.CharField(help_text="Reviewer A, B, …: never a name.")
    answers = serializers.ListField(child=serializers.ListField())


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class ComposeSerializer(serializers.Serializer):
    include_reviews = serializers.BooleanField(default=True)


class ReleaseSerializer(serializers.Serializer):
    released = serializers.BooleanField(default=True)


class ActivitySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = ["id", "at", "actor", "action", "target_label", "summary", "before", "after",
                  "reason"]  # fmt: skip

    def get_actor(self, obj: Activity) -> str:
        return obj.actor.email if obj.actor_id else "system"


class OutboxSerializer(serializers.ModelSerializer):
    """A mail of the outbox, for the chairs (the only readers of `workshop.view_outbox`):
    `body` is its plain text, so a held mail can be proofread before its release."""

    body = serializers.CharField(source="body_text", read_only=True)

    class Meta:
        model = OutgoingMail
        fields = ["id", "to", "kind", "subject", "body", "status", "attempts", "last_error",
                  "created_at", "sent_at"]  # fmt: skip


class TokenSerializer(serializers.ModelSerializer):
    workshops = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scope", "workshops", "expires_at", "created_at",
                  "last_used_at", "revoked_at"]  # fmt: skip


__all__ = ["TokenScope"]
