"""The keywords of the chairs' search language (`workshop.search` parses it).

Registered once, when the admin loads this app (`reviews.admin.decisions` imports this
module): the submissions list and the decision board then understand the same queries.
Every keyword compiles to a Q on `Submission`; the per-paper aggregates (score, reviews,
disagreement) are the stored figures of `PaperScore`, joined.
"""

from __future__ import annotations

import operator
from functools import reduce

from django.db.models import Q

from submissions.models import Authorship, Submission, SubmissionStatus
from workshop.models import Role
from workshop.search import (
    SearchContext,
    SearchError,
    parse_comparison,
    search_default_register,
    search_keyword_register,
)

from .models import Assignment, Outcome, ReviewRound
from .selectors.rounds import round_papers_q
from .selectors.scores import DISAGREEMENT_SPREAD

STATUS_WORDS = {
    "draft": SubmissionStatus.DRAFT,
    "submitted": SubmissionStatus.SUBMITTED,
    "withdrawn": SubmissionStatus.WITHDRAWN,
    "accepted": SubmissionStatus.ACCEPTED,
    "rejected": SubmissionStatus.REJECTED,
    "desk-rejected": SubmissionStatus.DESK_REJECTED,
    "desk_rejected": SubmissionStatus.DESK_REJECTED,
}
OUTCOME_WORDS = {
    "accept": Outcome.ACCEPT,
    "accepted": Outcome.ACCEPT,
    "reject": Outcome.REJECT,
    "rejected": Outcome.REJECT,
    "desk-reject": Outcome.DESK_REJECT,
    "desk_reject": Outcome.DESK_REJECT,
    "desk-rejected": Outcome.DESK_REJECT,
}


def _text(value: str) -> str:
    if not value.strip():
        raise SearchError("needs a value")
    return value.strip()


HOLDS = {
    "gte": lambda a, b: a >= b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "lt": lambda a, b: a < b,
    "exact": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}


def _aggregate(fn: str, value: str, context: SearchContext) -> Q:
    """Papers whose stored figure (`PaperScore`, kept by the review services) compares as
    asked: a filter on one small joined row per paper, flat in the workshop's size. A paper
    with no submitted review has 0 reviews done (so that `reviews:<3` finds it), one never
    assigned has 0 reviewers (`assigned:<3`), and neither has a score (so that no `score:`
    comparison finds them)."""
    lookup, number = parse_comparison(value)
    field_name = f"score__{fn}"
    if lookup == "ne":
        condition = Q(**{f"{field_name}__isnull": False}) & ~Q(**{field_name: number})
    else:
        condition = Q(**{f"{field_name}__{lookup}": number})
    if fn in ("done", "assigned") and HOLDS[lookup](0, number):
        return condition | Q(score__isnull=True)
    return condition


def title_q(value: str, context: SearchContext) -> Q:
    return Q(title__icontains=_text(value))


def abstract_q(value: str, context: SearchContext) -> Q:
    return Q(abstract__icontains=_text(value))


def keyword_q(value: str, context: SearchContext) -> Q:
    return Q(keywords__icontains=_text(value))


def topic_q(value: str, context: SearchContext) -> Q:
    text = _text(value)
    secondary = Submission.secondary_topics.through.objects.filter(topic__name__icontains=text)
    return Q(primary_topic__name__icontains=text) | Q(pk__in=secondary.values("submission_id"))


def type_q(value: str, context: SearchContext) -> Q:
    return Q(submission_type__name__icontains=_text(value))


def status_q(value: str, context: SearchContext) -> Q:
    status = STATUS_WORDS.get(_text(value).lower())
    if status is None:
        raise SearchError(f"“{value}” is not a status; use one of {', '.join(STATUS_WORDS)}")
    return Q(status=status)


def decision_q(value: str, context: SearchContext) -> Q:
    text = _text(value).lower()
    if text in ("none", "no", "undecided"):
        return Q(decision__isnull=True)
    if text in ("any", "yes", "decided"):
        return Q(decision__isnull=False)
    if text in OUTCOME_WORDS:
        return Q(decision__category__outcome=OUTCOME_WORDS[text])
    return Q(decision__category__name__icontains=value.strip())


def score_q(value: str, context: SearchContext) -> Q:
    return _aggregate("mean", value, context)


def low_q(value: str, context: SearchContext) -> Q:
    return _aggregate("low", value, context)


def high_q(value: str, context: SearchContext) -> Q:
    return _aggregate("high", value, context)


def reviews_q(value: str, context: SearchContext) -> Q:
    return _aggregate("done", value, context)


def assigned_q(value: str, context: SearchContext) -> Q:
    return _aggregate("assigned", value, context)


def disagree_q(value: str, context: SearchContext) -> Q:
    text = value.strip().lower()
    if text in ("", "yes", "true"):
        return _aggregate("spread", f">={DISAGREEMENT_SPREAD}", context)
    if text in ("no", "false"):
        return ~_aggregate("spread", f">={DISAGREEMENT_SPREAD}", context)
    parse_comparison(text)  # a clear message for anything else
    return _aggregate("spread", text, context)


def _person_q(role: str, value: str) -> Q:
    text = _text(value)
    people = Assignment.objects.filter(role=role, declined_at__isnull=True).filter(
        Q(reviewer__name__icontains=text) | Q(reviewer__email__icontains=text)
    )
    return Q(pk__in=people.values("submission_id"))


def ac_q(value: str, context: SearchContext) -> Q:
    return _person_q(Role.AREA_CHAIR, value)


def reviewer_q(value: str, context: SearchContext) -> Q:
    return _person_q(Role.REVIEWER, value)


def author_q(value: str, context: SearchContext) -> Q:
    text = _text(value)
    authors = Authorship.objects.filter(
        Q(name__icontains=text) | Q(email__icontains=text) | Q(affiliation__icontains=text)
    )
    return Q(pk__in=authors.values("submission_id"))


def number_q(value: str, context: SearchContext) -> Q:
    text = _text(value).lstrip("#")
    if not text.isdigit():
        raise SearchError(f"“{value}” is not a paper number")
    return Q(number=int(text))


def flag_q(value: str, context: SearchContext) -> Q:
    text = _text(value).lower()
    if text.startswith("anon"):
        return Q(paper__anonymity_flag=True)
    if text.startswith("hidden"):
        return Q(paper__hidden_text_flag=True)
    if text == "any":
        return Q(paper__anonymity_flag=True) | Q(paper__hidden_text_flag=True)
    raise SearchError(f"“{value}” is not a flag; use anonymity, hidden or any")


def camera_q(value: str, context: SearchContext) -> Q:
    """Whether the camera-ready version is in: `camera:yes` / `camera:no` (so that
    `decision:accept -camera:yes`, or `decision:accept camera:no`, finds the accepted
    papers still owing it)."""
    text = _text(value).lower()
    if text in ("yes", "true", "any", "uploaded"):
        return Q(camera_ready__isnull=False)
    if text in ("no", "false", "none", "missing"):
        return Q(camera_ready__isnull=True)
    raise SearchError(f"“{value}” is not an answer for camera:; use yes or no")


def round_q(value: str, context: SearchContext) -> Q:
    """The paper's current review round: `round:2` (a number) or a round's name
    (`round:"second round"`); papers never sent to a later round are in round 1."""
    text = _text(value)
    if text.isdigit():
        return round_papers_q(int(text))
    numbers = set(
        ReviewRound.objects.filter(
            workshop_id__in=context.workshop_ids, name__iexact=text
        ).values_list("number", flat=True)
    )
    if not numbers:
        raise SearchError(f"“{value}” is not a review round; use its number or its name")
    return reduce(operator.or_, (round_papers_q(n) for n in sorted(numbers)))


def bare_q(value: str, context: SearchContext) -> Q:
    """A bare word: a status (`withdrawn`), a paper number (`#12`, `12`), or text in the
    title, abstract, keywords or author list (names, addresses, affiliations: the search
    is the chairs')."""
    text = value.strip()
    if text.lower() in STATUS_WORDS:
        return Q(status=STATUS_WORDS[text.lower()])
    if text.lstrip("#").isdigit():
        return Q(number=int(text.lstrip("#")))
    return (
        Q(title__icontains=text)
        | Q(keywords__icontains=text)
        | Q(abstract__icontains=text)
        | author_q(text, context)
    )


search_keyword_register(("title", "ti"), title_q, help='title:"words": in the title')
search_keyword_register(("abstract", "abs"), abstract_q, help="abstract:word: in the abstract")
search_keyword_register(("keyword", "kw"), keyword_q, help="keyword:word: in the keywords")
search_keyword_register("topic", topic_q, help="topic:data: primary or secondary topic")
search_keyword_register("type", type_q, help="type:short: the paper type")
search_keyword_register(
    ("status", "is"), status_q, help="status:withdrawn (also is:): the paper's status"
)
search_keyword_register(
    "decision",
    decision_q,
    help="decision:none / any / accept / reject / desk-reject / a category's name",
)
search_keyword_register(
    ("score", "mean"), score_q, help="score:>=4: mean recommendation (>, >=, <, <=, =, !=)"
)
search_keyword_register("min", low_q, help="min:<2: lowest recommendation")
search_keyword_register("max", high_q, help="max:5: highest recommendation")
search_keyword_register("reviews", reviews_q, help="reviews:<3: submitted reviews")
search_keyword_register(
    "assigned", assigned_q, help="assigned:<3: active reviewers (short of reviewers)"
)
search_keyword_register(
    "disagree",
    disagree_q,
    help=f"disagree: scores {DISAGREEMENT_SPREAD} or more apart (disagree:>=3 for a spread)",
)
search_keyword_register(("ac", "areachair"), ac_q, help="ac:alan: the area chair's name/email")
search_keyword_register(("reviewer", "re"), reviewer_q, help="reviewer:kim: an assigned reviewer")
search_keyword_register(("author", "au"), author_q, help="author:name/email/affiliation")
search_keyword_register(("number", "paper"), number_q, help="number:12 (or #12)")
search_keyword_register("flag", flag_q, help="flag:anonymity / hidden / any: PDF check flags")
search_keyword_register(
    ("camera", "cameraready"), camera_q, help="camera:yes / no: the camera-ready is uploaded"
)
search_keyword_register("round", round_q, help="round:2: the paper's current review round")
search_default_register(bare_q)

# The tag words (issue 28) extend the bare-word default, so they register after it.
from . import search_tags  # noqa: E402, F401
