"""The `field:` keyword of the chairs' search language (issue 27): answers to custom fields.

    field:code-link:yes        answered (no: not answered)
    field:gpu-hours:>100       a number field compared (>, >=, <, <=, =, !=)
    field:licence:apache       a text, a choice or one of the ticked choices containing the word
    field:llm-writing:yes      a ticked checkbox (no: not ticked)

Registered when the app is ready (`SubmissionsConfig.ready`): the desk, the submissions list
and saved searches then understand it. The field is looked up by code in the workshops
searched; an unknown code is a clear message, never an empty result.
"""

from __future__ import annotations

from django.db.models import Q

from workshop.search import SearchContext, SearchError, parse_comparison, search_keyword_register

from .models import FieldKind, SubmissionField, SubmissionFieldValue

YES = ("yes", "true", "any", "answered")
NO = ("no", "false", "none", "empty", "unanswered")


def field_q(value: str, context: SearchContext) -> Q:
    code, sep, wanted = value.partition(":")
    code, wanted = code.strip().lower(), wanted.strip()
    if not code or not sep:
        raise SearchError("needs a field code and a value, e.g. field:code-link:yes")
    fields = list(SubmissionField.objects.filter(code=code, workshop_id__in=context.workshop_ids))
    if not fields:
        raise SearchError(f"“{code}” is not the code of a custom field of this workshop")
    if not wanted:
        raise SearchError(f"field:{code}: needs a value (yes, no, a word or a comparison)")
    answers = SubmissionFieldValue.objects.filter(field__in=fields)
    word = wanted.lower()
    kinds = {f.kind for f in fields}
    if word in YES:
        if kinds == {FieldKind.CHECKBOX}:
            answers = answers.exclude(text="")
        return Q(pk__in=answers.values("submission_id"))
    if word in NO:
        if kinds == {FieldKind.CHECKBOX}:
            answers = answers.exclude(text="")
        return ~Q(pk__in=answers.values("submission_id"))
    if FieldKind.NUMBER in kinds:
        lookup, number = parse_comparison(wanted)
        if lookup == "ne":
            condition = ~Q(number=number) & Q(number__isnull=False)
        else:
            condition = Q(**{f"number__{lookup}": number})
        return Q(pk__in=answers.filter(condition).values("submission_id"))
    if FieldKind.ATTACHMENT in kinds:
        raise SearchError(f"field:{code}: an attachment is searched with yes or no")
    matches = Q(text__icontains=wanted) | Q(items__icontains=wanted)
    return Q(pk__in=answers.filter(matches).values("submission_id"))


search_keyword_register(
    ("field", "cf"),
    field_q,
    help="field:code-link:yes / field:gpu-hours:>100 / field:licence:apache: custom fields",
)
