from django.core.management.base import BaseCommand, CommandError

from reviews.services.scores import paper_scores_rebuild
from workshop.models import Workshop
from workshop.plurals import counted


class Command(BaseCommand):
    help = "Recompute every paper's stored review figures (mean, median, reviews done...)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--workshop", help="Only this workshop (its slug).")

    def handle(self, *args, workshop: str | None = None, **options) -> None:  # type: ignore[no-untyped-def]
        target = None
        if workshop:
            target = Workshop.objects.filter(slug=workshop).first()
            if target is None:
                raise CommandError(f"No workshop with the slug {workshop!r}.")
        count = paper_scores_rebuild(target)
        self.stdout.write(f"Figures recomputed for {counted(count, 'paper')}.")
