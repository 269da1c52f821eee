from django.core.management.base import BaseCommand

from submissions.demo import seed_submissions
from workshop.demo import DEMO_PASSWORD, PEOPLE, seed_demo


class Command(BaseCommand):
    help = "Create the demo workshop with its committee and papers (idempotent); print logins."

    def handle(self, *args, **options) -> None:
        workshop = seed_demo()
        seed_submissions(workshop)
        self.stdout.write(self.style.SUCCESS(f"Demo workshop ready: {workshop.name}"))
        self.stdout.write(f"All demo accounts use the password: {DEMO_PASSWORD}")
        for person in PEOPLE:
            role = person.role.replace("_", " ") if person.role else "author"
            self.stdout.write(f"  {role:<11} {person.email:<28} {person.name}")
        self.stdout.write("Open http://127.0.0.1:8000/ (chair tools: /admin/).")
