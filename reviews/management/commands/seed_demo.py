from django.core.management.base import BaseCommand

from reviews.demo import seed_committee, shift_to_bidding
from submissions.demo import MORE_PAPERS, PAPERS, seed_submissions
from workshop.demo import DEMO_PASSWORD, MAIN, PEOPLE, REVIEWING, seed_workshop


class Command(BaseCommand):
    help = "Create the demo workshops with committee, papers and bids (idempotent); print logins."

    def handle(self, *args, **options) -> None:
        main, _ = seed_workshop(MAIN)
        seed_submissions(main, PAPERS)
        seed_committee(main, with_bids=False)
        bidding, created = seed_workshop(REVIEWING)
        seed_submissions(bidding, PAPERS + MORE_PAPERS)
        if created:
            shift_to_bidding(bidding)
        seed_committee(bidding, with_bids=True)
        self.stdout.write(self.style.SUCCESS("Demo workshops ready:"))
        self.stdout.write(f"  {main.name} (call for papers open)")
        self.stdout.write(f"  {bidding.name} (bidding open)")
        self.stdout.write(f"All demo accounts use the password: {DEMO_PASSWORD}")
        for person in PEOPLE:
            role = person.role.replace("_", " ") if person.role else "author"
            self.stdout.write(f"  {role:<11} {person.email:<28} {person.name}")
        self.stdout.write("Open http://127.0.0.1:8000/ (chair tools: /admin/).")
