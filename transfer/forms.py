"""Validation only: the upload form of an import and the export form."""

from __future__ import annotations

from django import forms

from workshop.models import Workshop
from workshop.validators import OneLineInputs

from .exporters import export_choices
from .importers import format_choices
from .limits import max_upload_bytes


class ImportForm(OneLineInputs, forms.Form):
    workshop = forms.ModelChoiceField(queryset=Workshop.objects.none(), empty_label=None)
    format = forms.ChoiceField(choices=format_choices())
    file = forms.FileField(help_text="A JSON, CSV or zip file exported by the other system.")
    dry_run = forms.BooleanField(
        required=False,
        initial=True,
        label="Dry run first",
        help_text="Show what would change without changing anything; confirm afterwards.",
    )

    def __init__(self, *args, workshops, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["workshop"].queryset = workshops

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                f"The file is over the import limit of {max_upload_bytes():,} bytes."
            )
        return upload


class ExportForm(OneLineInputs, forms.Form):
    workshop = forms.ModelChoiceField(queryset=Workshop.objects.none(), empty_label=None)
    format = forms.ChoiceField(
        choices=export_choices(),
        initial="archive",
        required=False,
        help_text="Our archive restores here exactly; HotCRP's files import into HotCRP "
        "(and back here).",
    )

    def clean_format(self) -> str:
        return self.cleaned_data.get("format") or "archive"

    def __init__(self, *args, workshops, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["workshop"].queryset = workshops


class RestoreForm(OneLineInputs, forms.Form):
    file = forms.FileField(help_text="A workshop archive (zip) made by this system's export.")
    slug = forms.SlugField(
        required=False,
        max_length=60,
        label="Address",
        help_text="The new workshop's address (slug); empty: the archived one.",
    )
    dry_run = forms.BooleanField(
        required=False,
        initial=True,
        label="Dry run first",
        help_text="Check the archive and show what would be restored, changing nothing.",
    )
    allow_unsigned = forms.BooleanField(
        required=False,
        initial=False,
        label="Restore an unsigned or foreign archive",
        help_text="Archives are signed by the deployment that exports them. Tick this only "
        "for an archive from another deployment (or an unsigned one) whose origin you trust: "
        "the report then carries a warning.",
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                f"The file is over the import limit of {max_upload_bytes():,} bytes."
            )
        return upload
