"""Every read of the reviews app that depends on who asks or on the database, by subject.

- `committee`: the committee's workshops, bidding lists and counters, the chairs' overview;
- `conflicts`: the one conflict-of-interest selector every part of the system asks;
- `reviewing`: the reviewer's dashboard and the paper page (reviews, answers, discussion);
- `progress`: the chairs' progress figures;
- `matching`: the matching input (affinity, conflicts, locks) read for the engine.

Writes live in `reviews.services`, rules in `reviews.permissions`.
"""
