"""Forms of the author pages: validation only; services make the changes."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory

from workshop.models import Topic, User, Workshop
from workshop.validators import OneLineInputs

from .models import LlmUse, Submission, SubmissionType
from .services.authors import AuthorEntry
from .services.lifecycle import EDITABLE_FIELDS


class SubmissionForm(OneLineInputs, forms.ModelForm):
    secondary_topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional: other topics the paper touches (the primary one is ignored here).",
    )

    class Meta:
        model = Submission
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "abstract": forms.Textarea(attrs={"rows": 10, "maxlength": 5000}),
            "llm_use": forms.RadioSelect,
            "llm_use_description": forms.Textarea(attrs={"rows": 3}),
            "tldr": forms.TextInput(attrs={"maxlength": 250}),
        }
        labels = {
            "llm_use_description": "How were LLMs used?",
            "code_url": "Code URL",
            "data_url": "Data URL",
            "weights_url": "Model weights URL",
            "llm_use": "Did you use LLMs to prepare the paper?",
            "code_licence": "Code licence",
            "data_licence": "Data licence",
            "weights_licence": "Weights licence",
        }
        help_texts = {
            "tldr": "One sentence, at most 250 characters.",
            "abstract": "Markdown and LaTeX math ($x^2$, $$\\sum_i x_i$$); at most 5,000 "
            "characters.",
            "code_licence": "e.g. Apache-2.0, MIT, GPL-3.0",
            "data_licence": "e.g. CC-BY-4.0, ODC-By, CC0",
            "weights_licence": "e.g. Apache-2.0, OpenRAIL, Llama community licence",
        }

    def __init__(self, *args, workshop: Workshop, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        topics = Topic.objects.filter(workshop=workshop)
        self.fields["primary_topic"].queryset = topics
        self.fields["primary_topic"].required = True
        self.fields["secondary_topics"].queryset = topics
        tracks = workshop.tracks.all()
        if tracks:  # issue 27: the author chooses the paper's track
            self.fields["track"].queryset = tracks
            self.fields["track"].required = True
            self.fields["track"].empty_label = None if len(tracks) == 1 else "Choose a track"
            self.fields["track"].help_text = "Its own committee and chairs review the paper."
        else:
            del self.fields["track"]
        types = SubmissionType.objects.filter(workshop=workshop)
        self.fields["submission_type"].queryset = types
        self.fields["submission_type"].required = types.exists()
        if not types.exists():
            del self.fields["submission_type"]
        self.fields["abstract"].required = True
        if self.instance.pk:
            self.initial["secondary_topics"] = list(
                self.instance.secondary_topics.values_list("pk", flat=True)
            )

    def clean(self) -> dict:
        data = super().clean()
        if (
            data.get("llm_use") not in (None, LlmUse.NONE)
            and not (data.get("llm_use_description") or "").strip()
        ):
            self.add_error("llm_use_description", "Please describe how LLMs were used.")
        for kind in ("code", "data", "weights"):
            if data.get(f"{kind}_url") and not (data.get(f"{kind}_licence") or "").strip():
                self.add_error(f"{kind}_licence", "Name the licence of what you link.")
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("secondary_topics", None)
        return data


class AuthorForm(OneLineInputs, forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)  # the column's length (the form's default is 320)
    affiliation = forms.CharField(max_length=200, required=False)
    is_contact = forms.BooleanField(required=False, label="Contact author")


class BaseAuthorFormSet(forms.BaseFormSet):
    def entries(self) -> list[AuthorEntry]:
        rows = []
        for form in self.ordered_forms if self.can_order else self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            rows.append(
                AuthorEntry(
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    affiliation=form.cleaned_data.get("affiliation", ""),
                    is_contact=form.cleaned_data.get("is_contact", False),
                )
            )
        return rows


AuthorFormSet = formset_factory(
    AuthorForm,
    formset=BaseAuthorFormSet,
    extra=1,
    can_order=True,
    can_delete=True,
    max_num=50,
    validate_max=True,
)


class UploadForm(OneLineInputs, forms.Form):
    file = forms.FileField(label="File", allow_empty_file=True)  # the checks name the problem


class ConflictForm(OneLineInputs, forms.Form):
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Committee members you are in conflict with",
        help_text="Advisors, students, recent co-authors, colleagues, family and friends.",
    )
    institutions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Institutions",
        help_text="One per line: everyone from these institutions is in conflict with the paper.",
    )

    def __init__(self, *args, committee, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = committee
        self.fields["members"].label_from_instance = lambda u: (
            f"{u.name} ({u.affiliation})" if u.affiliation else u.name
        )
