"""Measure the text fit against reviewers' own expertise ratings (pairwise-ordering loss).

    manage.py affinity_eval FILE [--variants] [--year YYYY]

FILE is JSON in the format documented in `reviews.expertise.evaluation` (reviewers with
their publications, papers, and 1-5 expertise ratings). Prints one JSON line per model
variant: {"variant": ..., "loss": ..., "reviewers": ...}; the first line is the model the
site uses. Lower is better, 0.5 is chance. Reads nothing from the database.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviews.expertise.evaluation import VARIANTS, EvaluationFileError, load, ordering_loss
from reviews.expertise.text import DEFAULT_COMBINE, TextSpace, profile_scores


class Command(BaseCommand):
    help = "Pairwise-ordering loss of the expertise model on a file of expertise ratings."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--variants",
            action="store_true",
            help="Also measure the other combinations (concatenated, best-k, "
            "recency, stemming off).",
        )
        parser.add_argument(
            "--year",
            type=int,
            default=None,
            help="The year recency is counted from (default: this year).",
        )

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        try:
            data = load(options["file"].read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}") from None
        except EvaluationFileError as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        variants = [DEFAULT_COMBINE]
        if options["variants"]:
            variants += [v for v in VARIANTS if v != DEFAULT_COMBINE]
        spaces: dict[bool, TextSpace] = {}
        for combine in variants:
            space = spaces.get(combine.stem)
            if space is None:
                space = spaces[combine.stem] = TextSpace(data.paper_texts, stem=combine.stem)
            scores = profile_scores(space, data.profiles, combine=combine, now_year=options["year"])
            loss, counted = ordering_loss(data.ratings, scores)
            self.stdout.write(
                json.dumps(
                    {
                        "variant": combine.label(),
                        "loss": round(loss, 4),
                        "reviewers": counted,
                        "chosen": combine == DEFAULT_COMBINE,
                    }
                )
            )
