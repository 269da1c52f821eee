"""The chairs' tool for custom submission fields (issue 27): add, order, change, delete.

Every save and delete goes through `workshop.services.config_save` / `config_delete`
(`ConfigAdminMixin`: one activity entry each); the form only checks that the definition
makes sense (choices for a choice, a condition on the same workshop's field, limits only
where they apply)."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from workshop.admin_scoping import ChairScopedAdmin, ConfigAdminMixin
from workshop.validators import OneLineInputs

from .models import CHOICE_KINDS_VALUES, FieldKind, SubmissionField


class SubmissionFieldForm(OneLineInputs, forms.ModelForm):
    class Meta:
        model = SubmissionField
        fields = [
            "workshop", "label", "code", "help_text", "kind", "choices", "order", "required",
            "submission_types", "condition_field", "condition_value", "soft_word_limit",
            "hard_word_limit", "editable_until", "visibility", "identifying",
        ]  # fmt: skip
        widgets = {"choices": forms.Textarea(attrs={"rows": 4})}

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("kind")
        workshop = data.get("workshop")
        choices = [c.strip() for c in (data.get("choices") or "").splitlines() if c.strip()]
        if kind in CHOICE_KINDS_VALUES and not choices:
            self.add_error("choices", "List the choices, one per line.")
        if len(set(choices)) != len(choices):
            self.add_error("choices", "A choice is listed twice.")
        if kind != FieldKind.LONG_TEXT and (
            data.get("soft_word_limit") or data.get("hard_word_limit")
        ):
            self.add_error("hard_word_limit", "Word limits apply to long texts only.")
        soft, hard = data.get("soft_word_limit"), data.get("hard_word_limit")
        if soft and hard and soft > hard:
            self.add_error("soft_word_limit", "The soft limit must not pass the hard one.")
        other = data.get("condition_field")
        if other is not None:
            if workshop is not None and other.workshop_id != workshop.pk:
                self.add_error("condition_field", "Choose a field of the same workshop.")
            if self.instance.pk and other.pk == self.instance.pk:
                self.add_error("condition_field", "A field cannot depend on itself.")
            elif self.instance.pk and _depends_on(other, self.instance.pk):
                self.add_error("condition_field", "The conditions would go round in a circle.")
        elif data.get("condition_value"):
            self.add_error("condition_field", "Choose the field the condition reads.")
        for stype in data.get("submission_types") or []:
            if workshop is not None and stype.workshop_id != workshop.pk:
                self.add_error("submission_types", "Choose types of the same workshop.")
                break
        return data


def _depends_on(field: SubmissionField, pk: int) -> bool:
    seen = set()
    current = field
    while current is not None and current.pk not in seen:
        if current.pk == pk:
            return True
        seen.add(current.pk)
        current = current.condition_field
    return False


@admin.register(SubmissionField)
class SubmissionFieldAdmin(ConfigAdminMixin, ChairScopedAdmin):
    form = SubmissionFieldForm
    policy_permission = "submissions.manage_fields"
    list_display = ["label", "code", "kind", "required", "visibility", "editable_until", "order"]
    list_editable = ["order"]
    list_filter = ["workshop", "kind", "visibility"]
    search_fields = ["label", "code"]
    prepopulated_fields = {"code": ["label"]}
    filter_horizontal = ["submission_types"]
    fieldsets = [
        (None, {"fields": ["workshop", "label", "code", "help_text", "kind", "choices", "order"]}),
        ("Rules", {"fields": ["required", "submission_types", "condition_field",
                              "condition_value", "soft_word_limit", "hard_word_limit",
                              "editable_until"]}),
        ("Who reads the answers", {"fields": ["visibility", "identifying"]}),
    ]  # fmt: skip
