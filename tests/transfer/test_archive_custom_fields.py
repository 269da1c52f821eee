"""Custom submission fields travel in the workshop archive (issue 27): the questions (their
types, condition and rules) and every paper's answers, an attachment's bytes included."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from submissions.models import Submission, SubmissionField, SubmissionFieldValue
from tests.policy_spec import build_world
from transfer.archive import _models, archive_export, archive_restore, archive_rows
from transfer.report import Report
from workshop.models import User, Workshop
from workshop.policy import SYSTEM

pytestmark = pytest.mark.django_db


def _wipe(workshop: Workshop) -> None:
    Submission.objects.filter(workshop=workshop).update(
        paper=None, supplementary=None, camera_ready=None
    )
    for _, model, path in reversed(_models()):
        model.objects.filter(**{path: workshop.pk}).delete()


def test_the_questions_and_the_answers_come_back():
    world = build_world()  # with the matrix's own four fields and one answer
    a = world.a
    licence = SubmissionField.objects.create(
        workshop=a, code="licence", label="Licence", kind="select", choices="MIT\nOther"
    )
    which = SubmissionField.objects.create(
        workshop=a, code="licence-other", label="Which?", kind="text", required=True,
        condition_field=licence, condition_value="Other",
    )  # fmt: skip
    gpu = SubmissionField.objects.create(
        workshop=a, code="gpu-hours", label="GPU hours", kind="number", visibility="chairs"
    )
    appendix = SubmissionField.objects.create(
        workshop=a, code="appendix", label="Appendix", kind="attachment"
    )
    gpu.submission_types.set(a.submission_types.all())
    SubmissionFieldValue.objects.create(submission=world.p, field=licence, text="Other")
    SubmissionFieldValue.objects.create(submission=world.p, field=which, text="WTFPL")
    SubmissionFieldValue.objects.create(submission=world.p, field=gpu, number=Decimal("120.5"))
    attached = SubmissionFieldValue(
        submission=world.p, field=appendix, content_type="application/pdf", size=9,
        sha256="0" * 64,
    )  # fmt: skip
    attached.file.save("x", ContentFile(b"%PDF-1.4\n"), save=True)
    workshop = Workshop.objects.get(pk=a.pk)
    before = archive_rows(workshop)
    assert len(before["submissions.SubmissionField"]) == 4 + 4
    assert len(before["submissions.SubmissionFieldValue"]) == 4 + 1
    data = archive_export(workshop=workshop)
    emails = [row["email"] for row in before["workshop.User"]]
    _wipe(workshop)
    User.objects.filter(email__in=emails).delete()
    assert not SubmissionField.objects.filter(workshop__slug="mx-alpha").exists()

    report = Report()
    restored = archive_restore(actor=SYSTEM, data=data, report=report)
    assert report.ok, report.errors
    assert archive_rows(restored) == before
    fields = {f.code: f for f in restored.submission_fields.all()}
    assert fields["licence-other"].condition_field == fields["licence"]
    assert [t.name for t in fields["gpu-hours"].submission_types.all()] == ["Full paper"]
    paper = restored.submissions.get(number=1)
    answers = {v.field.code: v for v in paper.field_values.select_related("field")}
    assert answers["gpu-hours"].number == Decimal("120.5")
    assert answers["licence-other"].text == "WTFPL"
    with answers["appendix"].file.open("rb") as handle:
        assert handle.read() == b"%PDF-1.4\n"
