"""Forms of the programme pages: validation only (the views call the services).

Date and time fields are read and shown in the programme's time zone: the views wrap them
in `django.utils.timezone.override(settings.zone)`.
"""

from __future__ import annotations

from django import forms

from workshop.models import Workshop
from workshop.validators import OneLineInputs

from .models import ProgrammeSettings, Session, Speaker

PHOTO_MAX_BYTES = 5 * 1024 * 1024
LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SettingsForm(OneLineInputs, forms.ModelForm):
    class Meta:
        model = ProgrammeSettings
        fields = ["time_zone", "venue", "upload_deadline", "what_to_bring"]
        widgets = {"upload_deadline": LOCAL, "what_to_bring": forms.Textarea(attrs={"rows": 4})}


class SessionForm(OneLineInputs, forms.ModelForm):
    class Meta:
        model = Session
        fields = ["kind", "title", "room", "starts_at", "ends_at", "order", "chair"]
        widgets = {"starts_at": LOCAL, "ends_at": LOCAL}
        labels = {"starts_at": "Starts", "ends_at": "Ends"}

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", "A session must end after it starts.")
        return data

    def validate_unique(self) -> None:
        """The service checks title clashes (the form has no workshop field)."""


class SpeakerForm(OneLineInputs, forms.ModelForm):
    remove_photo = forms.BooleanField(required=False, label="Remove the photo")

    class Meta:
        model = Speaker
        fields = ["kind", "name", "affiliation", "photo", "bio", "link", "order", "session"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, workshop: Workshop, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.filter(workshop=workshop)
        self.fields["session"].required = False

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and getattr(photo, "size", 0) > PHOTO_MAX_BYTES:
            raise forms.ValidationError("The photo is larger than 5 MB.")
        return photo


class CsvForm(OneLineInputs, forms.Form):
    file = forms.FileField(
        required=False,
        label="CSV file",
        help_text="Lines of paper_number,session_title[,order]",
    )
    text = forms.CharField(
        required=False,
        label="Or paste the lines",
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "3,Oral session 1,1"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > 1024 * 1024:
                raise forms.ValidationError("The CSV file is larger than 1 MB.")
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError("The CSV file must be UTF-8 text.") from None
        if not (data.get("text") or "").strip():
            raise forms.ValidationError("Choose a CSV file or paste its lines.")
        return data
