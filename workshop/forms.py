from __future__ import annotations

import re

from django import forms

from .models import User
from .validators import OneLineInputs

ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


class SignupExtraForm(OneLineInputs, forms.Form):
    """Extra fields on allauth's sign-up form."""

    name = forms.CharField(label="Full name", max_length=200)
    affiliation = forms.CharField(
        max_length=200, required=False, help_text="University, lab or company."
    )

    def signup(self, request, user: User) -> None:
        user.name = self.cleaned_data["name"]
        user.affiliation = self.cleaned_data["affiliation"]
        user.save(update_fields=["name", "affiliation"])


class ProfileForm(OneLineInputs, forms.ModelForm):
    orcid = forms.CharField(
        label="ORCID iD",
        required=False,
        max_length=60,
        help_text="e.g. 0000-0002-1825-0097 or https://orcid.org/0000-0002-1825-0097",
    )

    class Meta:
        model = User
        fields = ["name", "affiliation", "orcid", "dblp_url", "semantic_scholar_url", "homepage"]

    def __init__(self, *args, **kwargs) -> None:
        from .outbox import NON_ESSENTIAL, notification_mode

        super().__init__(*args, **kwargs)
        for kind, label in NON_ESSENTIAL.items():
            self.fields[f"notify_{kind}"] = forms.ChoiceField(
                label=label,
                choices=[("event", "A mail each time"), ("digest", "In a daily digest")],
                initial=notification_mode(self.instance, kind),
                required=False,
                widget=forms.RadioSelect,
            )

    def notification_prefs(self) -> dict[str, str]:
        return {
            key.removeprefix("notify_"): value
            for key, value in self.cleaned_data.items()
            if key.startswith("notify_") and value and value
        }

    def clean_orcid(self) -> str:
        value = self.cleaned_data["orcid"].strip().removeprefix("https://orcid.org/")
        if value and not ORCID_RE.match(value):
            raise forms.ValidationError("An ORCID iD looks like 0000-0002-1825-0097.")
        return value
