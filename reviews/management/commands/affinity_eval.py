"""Measure the expertise model against reviewers' own expertise ratings.

    manage.py affinity_eval FILE [--variants] [--year YYYY] [--bootstrap N] [--seed S]

FILE is JSON in the format documented in `reviews.expertise.evaluation` (reviewers with
their publications, papers, and 1-5 expertise ratings in quarter steps). Prints one JSON
line per model variant, the first the model the site uses:

    {"variant": ..., "loss": pooled loss (the published metric of Stelmakh et al. 2023),
     "per_reviewer": mean of the reviewers' own losses, "ci95": [low, high] (bootstrap over
     reviewers), "easy": ..., "hard": ... (share of easy / hard pairs ordered right),
     "easy_pairs", "hard_pairs", "reviewers", "pairs", "chosen": true for the site's model}

Lower loss is better, 0.5 is chance. Reads nothing from the database.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviews.expertise.evaluation import VARIANTS, EvaluationFileError, Pairs, load, measure
from reviews.expertise.text import DEFAULT_COMBINE, TextSpace, profile_scores


class Command(BaseCommand):
    help = "Pairwise-ordering loss (pooled, as published) of the expertise model on a ratings file."

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
            help='The year recency is counted back from (default: the file\'s "year", '
            "else its newest publication's).",
        )
        parser.add_argument(
            "--bootstrap",
            type=int,
            default=1000,
            help="Resamples of the reviewers for the 95%% interval (default 1000).",
        )
        parser.add_argument("--seed", type=int, default=0, help="The bootstrap's seed.")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        if options["bootstrap"] < 1:
            raise CommandError("--bootstrap must be at least 1.")
        try:
            data = load(options["file"].read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}") from None
        except EvaluationFileError as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        reference_year = options["year"] or data.reference_year
        variants = [DEFAULT_COMBINE]
        if options["variants"]:
            variants += [v for v in VARIANTS if v != DEFAULT_COMBINE]
        pairs = Pairs.of(data.ratings)
        spaces: dict[bool, TextSpace] = {}
        for combine in variants:
            space = spaces.get(combine.stem)
            if space is None:
                space = spaces[combine.stem] = TextSpace(data.paper_texts, stem=combine.stem)
            scores = profile_scores(
                space, data.profiles, combine=combine, reference_year=reference_year
            )
            metrics = measure(pairs, scores, bootstrap=options["bootstrap"], seed=options["seed"])
            line = {"variant": combine.label(), **metrics.as_dict()}
            line["chosen"] = combine == DEFAULT_COMBINE
            self.stdout.write(json.dumps(line))
