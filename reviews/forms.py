"""Forms of the committee pages: validation only; services make the changes."""

from __future__ import annotations

from django import forms

from workshop.models import Role, Topic, Track, Workshop
from workshop.validators import OneLineInputs

from .models import ExpertiseLevel, MatchMode, ReviewerProfile
from .services.invitations import parse_invitation_rows


class ProfileForm(OneLineInputs, forms.ModelForm):
    people = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="People you are in conflict with",
        help_text="One per line, by email or full name: advisors, students, recent co-authors, "
        "family, close friends.",
    )
    institutions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Institutions you are in conflict with",
        help_text="One per line: where you work or worked recently, or will soon.",
    )

    class Meta:
        model = ReviewerProfile
        fields = [
            "expertise_text",
            "dblp_url",
            "semantic_scholar_url",
            "openreview_url",
            "requested_max_load",
        ]
        widgets = {"expertise_text": forms.Textarea(attrs={"rows": 8})}
        labels = {
            "expertise_text": "Your own papers",
            "requested_max_load": "Maximum number of papers",
        }

    def __init__(
        self, *args, workshop: Workshop, topics: list[Topic], levels: dict[int, str], **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.topics = topics
        self.fields["requested_max_load"].help_text = (
            f"The chairs' default is {workshop.reviewer_max_load}. Ask for fewer if you must; "
            "the chairs see and approve the request."
        )
        self.fields["requested_max_load"].widget.attrs.update(
            {"min": 1, "max": workshop.reviewer_max_load}
        )
        for topic in topics:
            self.fields[f"topic_{topic.pk}"] = forms.ChoiceField(
                label=topic.name,
                choices=ExpertiseLevel.choices,
                widget=forms.RadioSelect,
                initial=levels.get(topic.pk),
                help_text=topic.description,
            )

    def topic_fields(self) -> list:
        return [self[f"topic_{t.pk}"] for t in self.topics]

    def topic_levels(self) -> dict[int, str]:
        return {t.pk: self.cleaned_data[f"topic_{t.pk}"] for t in self.topics}


class InviteForm(OneLineInputs, forms.Form):
    """The chairs' invitation form in the admin: one address, a pasted list, or a CSV file."""

    workshop = forms.ModelChoiceField(queryset=Workshop.objects.none())
    role = forms.ChoiceField(
        choices=[(Role.REVIEWER, "Reviewer"), (Role.AREA_CHAIR, "Area chair")],
        help_text="Used for rows that do not name a role.",
    )
    people = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text="One per line: “name, email, role”, “Name <email>” or just an email.",
    )
    csv_file = forms.FileField(
        required=False, label="or a CSV file", help_text="Columns: name, email, role."
    )

    def __init__(self, *args, workshops, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workshop"].queryset = workshops

    def clean(self) -> dict:
        """The good rows in `rows`; each bad line in `problems` (why) and `bad_lines` (its
        text): the good are invited and the bad reported by themselves, HotCRP's way. Only
        when no line is good is the form invalid."""
        data = super().clean()
        role = data.get("role", Role.REVIEWER)
        bad_lines: list[str] = []
        rows, problems = parse_invitation_rows(
            data.get("people") or "", default_role=role, bad_lines=bad_lines
        )
        upload = data.get("csv_file")
        if upload:
            if upload.size > 1024 * 1024:
                raise forms.ValidationError("The CSV file is larger than 1 MB.")
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError("The CSV file must be UTF-8 text.") from None
            # Parsed on its own: its header and line numbers are the file's.
            csv_rows, csv_problems = parse_invitation_rows(
                text, default_role=role, bad_lines=bad_lines
            )
            rows += csv_rows
            problems += [f"CSV file, {p[0].lower()}{p[1:]}" for p in csv_problems]
        if not rows:
            raise forms.ValidationError(problems or ["Give at least one email address."])
        data["rows"], data["problems"], data["bad_lines"] = rows, problems, bad_lines
        return data


class MatchingRunForm(OneLineInputs, forms.Form):
    """Parameters of one assignment run (the chair's assignment page)."""

    workshop = forms.ModelChoiceField(queryset=Workshop.objects.none())
    mode = forms.ChoiceField(
        choices=[
            (MatchMode.MAX_TOTAL, "Best total fit (exact optimum)"),
            (MatchMode.FAIR, "Fair: raise the worst-served paper first, then the total"),
            (MatchMode.RANDOMIZED, "Randomized: cap each pair's probability (against collusion)"),
        ],
        widget=forms.RadioSelect,
        initial=MatchMode.MAX_TOTAL,
    )
    track = forms.ModelChoiceField(
        queryset=Track.objects.none(),
        required=False,
        empty_label="Every paper, across the tracks",
        help_text="One track's papers only (issue 27): each reviewer's maximum counts the "
        "papers they already review in the other tracks.",
    )
    reviews_per_paper = forms.IntegerField(
        min_value=1,
        max_value=20,
        required=False,
        help_text="Empty: the workshop's own setting.",
    )
    min_load = forms.IntegerField(
        min_value=0,
        max_value=50,
        initial=0,
        required=False,
        help_text="Every reviewer gets at least this many papers.",
    )
    max_load = forms.IntegerField(
        min_value=1,
        max_value=50,
        required=False,
        help_text="Optional cap below each reviewer's own maximum.",
    )
    weight_bid = forms.FloatField(min_value=0, max_value=10, initial=1.0, label="Weight of bids")
    weight_topic = forms.FloatField(
        min_value=0, max_value=10, initial=0.5, label="Weight of topic expertise"
    )
    weight_text = forms.FloatField(
        min_value=0, max_value=10, initial=1.0, label="Weight of text similarity"
    )
    prob_cap = forms.FloatField(
        min_value=0.05,
        max_value=1.0,
        initial=0.5,
        required=False,
        label="Probability cap (randomized mode)",
        help_text="No pair is assigned with a probability above this.",
    )
    seed = forms.IntegerField(
        required=False,
        min_value=0,
        help_text="Makes a randomized run reproducible; empty: a new random draw.",
    )

    def __init__(self, *args, workshops, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workshop"].queryset = workshops
        self.fields["track"].queryset = Track.objects.filter(workshop__in=workshops)
        if not self.fields["track"].queryset.exists():
            del self.fields["track"]

    def clean(self) -> dict:
        data = super().clean()
        track = data.get("track")
        if track is not None and data.get("workshop") and track.workshop_id != data["workshop"].pk:
            self.add_error("track", "That track belongs to another workshop.")
        if data.get("mode") == MatchMode.RANDOMIZED and not data.get("prob_cap"):
            self.add_error("prob_cap", "The randomized mode needs a probability cap.")
        low, high = data.get("min_load") or 0, data.get("max_load")
        if high is not None and low > high:
            self.add_error("min_load", "The minimum load is above the maximum load.")
        return data

    def parameters(self) -> dict:
        d = self.cleaned_data
        return {
            "reviews_per_paper": d.get("reviews_per_paper") or d["workshop"].reviews_per_paper,
            "min_load": d.get("min_load") or 0,
            "max_load": d.get("max_load"),
            "weights": {
                "bid": d["weight_bid"],
                "topic": d["weight_topic"],
                "text": d["weight_text"],
            },
            "prob_cap": d.get("prob_cap"),
            "seed": d.get("seed"),
            **({"track": d["track"].pk} if d.get("track") else {}),
        }


class ManualAssignmentForm(OneLineInputs, forms.Form):
    submission = forms.ModelChoiceField(queryset=None, label="Paper")
    reviewer = forms.ModelChoiceField(queryset=None)
    locked = forms.BooleanField(required=False, help_text="Kept by every later matching run.")

    def __init__(self, *args, workshop: Workshop, **kwargs) -> None:
        from submissions.models import Submission, SubmissionStatus
        from workshop.models import User

        super().__init__(*args, **kwargs)
        self.fields["submission"].queryset = Submission.objects.filter(
            workshop=workshop, status=SubmissionStatus.SUBMITTED
        ).order_by("number")
        self.fields["submission"].label_from_instance = lambda s: f"#{s.number} {s.title}"
        self.fields["reviewer"].queryset = (
            User.objects.filter(memberships__workshop=workshop, memberships__role=Role.REVIEWER)
            .distinct()
            .order_by("name")
        )
