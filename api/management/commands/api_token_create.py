"""Create a personal API token from the command line (the secret is printed once)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.models import TokenScope, TransferScope
from api.services import token_create
from workshop.errors import ServiceError
from workshop.models import User, Workshop

SCOPES = {"r": TokenScope.READ, "read": TokenScope.READ, "rw": TokenScope.READ_WRITE,
          "read-write": TokenScope.READ_WRITE}  # fmt: skip


class Command(BaseCommand):
    help = "Create an API token for a user, limited to workshops; prints the secret once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, help="The user's e-mail address.")
        parser.add_argument("--workshop", action="append", required=True,
                            help="A workshop slug (repeat for several).")  # fmt: skip
        parser.add_argument("--scope", choices=sorted(SCOPES), default="r")
        parser.add_argument(
            "--transfer", choices=["none", "read", "write"], default="none",
            help="Import and export jobs (write: a read-write token only).",
        )  # fmt: skip
        parser.add_argument("--name", default="command-line token")
        parser.add_argument("--days", type=int, default=90, help="Days until it expires.")

    def handle(self, *args, **options) -> None:
        user = User.objects.filter(email__iexact=options["user"]).first()
        if user is None:
            raise CommandError(f"No user with the address {options['user']}.")
        workshops = list(Workshop.objects.filter(slug__in=options["workshop"]))
        unknown = set(options["workshop"]) - {w.slug for w in workshops}
        if unknown:
            raise CommandError(f"No such workshop: {', '.join(sorted(unknown))}.")
        try:
            token, secret = token_create(
                user=user, name=options["name"], workshops=workshops,
                scope=SCOPES[options["scope"]],
                transfer={"none": TransferScope.NONE, "read": TransferScope.READ,
                          "write": TransferScope.WRITE}[options["transfer"]],
                expires_at=timezone.now() + dt.timedelta(days=options["days"]),
            )  # fmt: skip
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(
            f"Token {token.name!r} ({token.get_scope_display().lower()}) for "
            f"{user.email}, expires {token.expires_at:%Y-%m-%d}. Shown once:"
        )
        self.stdout.write(secret)
