"""Review rounds and response rounds (issue 27, parts 2 and 3).

Every existing workshop gets its round 1 (its deadlines empty: the workshop's review
deadline); its assignments stay without a round, which is round 1 (so that nothing that
reads them changes); a workshop with an author response window
gets one response round with that window.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def rounds_create(apps, schema_editor):
    Workshop = apps.get_model("workshop", "Workshop")
    ReviewRound = apps.get_model("reviews", "ReviewRound")
    ResponseRound = apps.get_model("reviews", "ResponseRound")
    for workshop in Workshop.objects.all():
        ReviewRound.objects.create(workshop=workshop, number=1, name="Round 1")
        if (
            workshop.rebuttal_opens
            and workshop.rebuttal_closes
            and (workshop.rebuttal_closes > workshop.rebuttal_opens)
        ):
            ResponseRound.objects.create(
                workshop=workshop,
                name="Author response",
                opens=workshop.rebuttal_opens,
                closes=workshop.rebuttal_closes,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0021_external_reviewers"),
        ("submissions", "0005_authors_without_email"),
        ("workshop", "0013_workshop_review_min_words"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReviewRound",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "number",
                    models.PositiveSmallIntegerField(help_text="1 for the first round, 2, 3, ..."),
                ),
                ("name", models.CharField(max_length=80)),
                (
                    "review_deadline",
                    models.DateTimeField(
                        blank=True,
                        help_text="The advertised deadline, used by the reminders. Empty in round 1: the workshop's review deadline.",
                        null=True,
                        verbose_name="reviews due",
                    ),
                ),
                (
                    "review_hard_deadline",
                    models.DateTimeField(
                        blank=True,
                        help_text="Not advertised; reviews are accepted until it. Empty: the advertised deadline plus the workshop's grace period.",
                        null=True,
                        verbose_name="reviews refused after",
                    ),
                ),
                (
                    "resubmission_deadline",
                    models.DateTimeField(
                        blank=True,
                        help_text="Authors of papers sent to this round upload their revised PDF until then.",
                        null=True,
                        verbose_name="revised versions due",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "workshop",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="review_rounds",
                        to="workshop.workshop",
                    ),
                ),
            ],
            options={
                "ordering": ["workshop", "number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("workshop", "number"), name="review_round_number"
                    ),
                    models.UniqueConstraint(fields=("workshop", "name"), name="review_round_name"),
                ],
            },
        ),
        migrations.CreateModel(
            name="PaperRound",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sent_at", models.DateTimeField(auto_now_add=True)),
                (
                    "category_name",
                    models.CharField(
                        blank=True, help_text="The decision category that sent it.", max_length=80
                    ),
                ),
                (
                    "previous_paper",
                    models.ForeignKey(
                        blank=True,
                        help_text="The PDF reviewed in the previous round, which the revision is compared to.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="submissions.submissionfile",
                    ),
                ),
                (
                    "round",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="papers",
                        to="reviews.reviewround",
                    ),
                ),
                (
                    "sent_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "submission",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rounds",
                        to="submissions.submission",
                    ),
                ),
            ],
            options={
                "ordering": ["submission", "round__number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("submission", "round"), name="paper_round_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ResponseRound",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=80)),
                ("opens", models.DateTimeField()),
                ("closes", models.DateTimeField(verbose_name="deadline")),
                (
                    "words_soft",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Authors are warned above it. 0: none.",
                        verbose_name="word limit (warned)",
                    ),
                ),
                (
                    "words_hard",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="A longer response is refused. 0: none.",
                        verbose_name="word limit (refused)",
                    ),
                ),
                (
                    "condition",
                    models.CharField(
                        blank=True,
                        help_text="A desk search choosing the papers that get this round, e.g. “round:2” or “score:<3”. Empty: every paper under review.",
                        max_length=500,
                    ),
                ),
                (
                    "workshop",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="response_rounds",
                        to="workshop.workshop",
                    ),
                ),
            ],
            options={
                "ordering": ["workshop", "opens", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("workshop", "name"), name="response_round_name"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("closes__gt", models.F("opens"))),
                        name="response_round_order",
                    ),
                ],
            },
        ),
        migrations.RemoveConstraint(model_name="assignment", name="assignment_unique"),
        migrations.AddField(
            model_name="assignment",
            name="round",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty: round 1. A paper sent to a later round is assigned again in it.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="reviews.reviewround",
            ),
        ),
        migrations.AddConstraint(
            model_name="assignment",
            constraint=models.UniqueConstraint(
                fields=("submission", "reviewer", "role", "round"),
                name="assignment_unique",
                nulls_distinct=False,
            ),
        ),
        migrations.AddField(
            model_name="reviewquestion",
            name="round",
            field=models.ForeignKey(
                blank=True,
                help_text="Asked in this review round only. Empty: in every round.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="questions",
                to="reviews.reviewround",
            ),
        ),
        migrations.AddField(
            model_name="decisioncategory",
            name="revise_round",
            field=models.ForeignKey(
                blank=True,
                help_text="Marks the category “revise and resubmit”: instead of deciding, it sends the paper to this review round and opens the round's resubmission window for its authors.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="reviews.reviewround",
                verbose_name="revise and resubmit into",
            ),
        ),
        migrations.RunPython(rounds_create, migrations.RunPython.noop),
    ]
