"""The demo's custom questions (issue 27): the open call (the main demo workshop) asks for
the code and weights link, the licence of the released model (with "Other: which?"), the
use of LLMs in writing (with details when substantial, 100 words asked, 200 at most) and,
for the chairs only, the GPU hours; its demo papers have answers. Called by `seed_demo`
through `settings.DEMO_SEEDERS`; idempotent (a question is added once, by its code)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from workshop.demo import MAIN
from workshop.models import Workshop
from workshop.policy import SYSTEM
from workshop.services import config_save

from .models import FieldKind, FieldVisibility, SubmissionField
from .services.fields import Answer, field_answer_write

QUESTIONS = [
    {"code": "code-weights", "label": "Link to the code and the model weights",
         "kind": FieldKind.URL, "required": True,
         "help_text": "An anonymised link for the review (e.g. anonymous.4open.science); the "
         "real one goes in the camera-ready version."},
    {"code": "model-licence", "label": "Licence of the released model", "kind": FieldKind.SELECT,
         "required": True, "visibility": FieldVisibility.PUBLIC,
         "choices": "Apache-2.0\nMIT\nOpenRAIL\nLlama community licence\nNo model released\nOther"},
    {"code": "model-licence-other", "label": "Which licence?", "kind": FieldKind.TEXT,
         "required": True, "visibility": FieldVisibility.PUBLIC, "condition_value": "Other"},
    {"code": "llm-writing", "label": "Was an LLM used to write this paper?",
         "kind": FieldKind.RADIO, "required": True,
         "choices": "No\nFor editing only (grammar, wording)\nSubstantially (drafting text)"},
    {"code": "llm-writing-details", "label": "How was the LLM used in writing?",
         "kind": FieldKind.LONG_TEXT, "required": True, "soft_word_limit": 100,
         "hard_word_limit": 200, "condition_value": "Substantially (drafting text)"},
    {"code": "gpu-hours", "label": "Compute used (GPU hours)", "kind": FieldKind.NUMBER,
         "visibility": FieldVisibility.CHAIRS,
         "help_text": "Roughly, all experiments included; read by the chairs only."},
]  # fmt: skip
CONDITIONS = {"model-licence-other": "model-licence", "llm-writing-details": "llm-writing"}
LICENCES = ["Apache-2.0", "MIT", "OpenRAIL", "Other"]


@transaction.atomic
def seed_fields() -> str:
    workshop = Workshop.objects.filter(slug=MAIN.slug).first()
    if workshop is None:
        return ""
    made: dict[str, SubmissionField] = {}
    for order, spec in enumerate(QUESTIONS, start=1):
        found = SubmissionField.objects.filter(workshop=workshop, code=spec["code"]).first()
        if found is None:
            found = SubmissionField(workshop=workshop, order=order, **spec)
            if spec["code"] in CONDITIONS:
                found.condition_field = made[CONDITIONS[spec["code"]]]
            config_save(actor=SYSTEM, instance=found)
        made[spec["code"]] = found
    for n, paper in enumerate(workshop.submissions.order_by("number")):
        if paper.field_values.exists():
            continue
        licence = LICENCES[n % len(LICENCES)]
        answers = {
            "code-weights": Answer(text=f"https://anonymous.4open.science/r/osllm-{paper.number}"),
            "model-licence": Answer(text=licence),
            "llm-writing": Answer(text="No" if n % 2 else "For editing only (grammar, wording)"),
            "gpu-hours": Answer(number=Decimal(40 + 90 * n)),
        }
        if licence == "Other":
            answers["model-licence-other"] = Answer(text="CC-BY-NC-4.0")
        for code, answer in answers.items():
            field_answer_write(submission=paper, field=made[code], answer=answer, user=SYSTEM)
    return (
        f"  {workshop.short_name}: the call asks {len(QUESTIONS)} custom questions "
        "(code and weights, licence, LLM use in writing, GPU hours for the chairs)"
    )
