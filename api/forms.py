"""The token form: validation only; `api.services.token_create` makes the token."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from workshop.models import User
from workshop.validators import OneLineInputs

from .models import TokenScope, TransferScope
from .selectors import token_workshops_for


class TokenForm(OneLineInputs, forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. “assignment script”.")
    workshops = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="The token reaches these workshops only; everything else answers 404.",
    )
    scope = forms.ChoiceField(choices=TokenScope.choices, widget=forms.RadioSelect,
                              initial=TokenScope.READ)  # fmt: skip
    transfer = forms.ChoiceField(
        choices=TransferScope.choices, widget=forms.RadioSelect, initial=TransferScope.NONE,
        required=False, label="Imports and exports",
        help_text="Chairs: migration jobs through /api/v1/ (running them needs read and write).",
    )  # fmt: skip
    expires_in_days = forms.IntegerField(
        label="Expires in (days)", min_value=1, max_value=366, initial=90
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workshops"].queryset = token_workshops_for(user)

    def expires_at(self) -> dt.datetime:
        return timezone.now() + dt.timedelta(days=self.cleaned_data["expires_in_days"])
