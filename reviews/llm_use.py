"""Language models in reviewing (issue 26): the workshop's policy and the declaration each
review carries under it.

A workshop with a policy (`Workshop.review_llm_policy`, anything but "none") asks every
reviewer, with every review, "Did you use an LLM for this review?". The answers a policy
accepts, the words the form shows and the refusals are here, once: the review services
enforce them (`review_save_draft` keeps a draft's answer as typed; `review_submit` refuses
a review without an accepted answer), the browser form and the API offer the same choices.
The answers are read by the chairs only (`reviews.see_chairs_only_answers`) and by the
review's writer.
"""

from __future__ import annotations

from workshop.errors import ServiceError
from workshop.models import ReviewLlmPolicy, Workshop

from .models import LlmUse, Review

QUESTION = "Did you use an LLM for this review?"
MAX_STATEMENT = 2000

# The policy in words, as the review form shows it above the question.
POLICY_WORDS = {
    ReviewLlmPolicy.NOT_ALLOWED: "This workshop does not allow language models (LLMs) in "
    "reviewing, not even to edit the language: do not give the paper, or your review, to one.",
    ReviewLlmPolicy.LANGUAGE_ONLY: "This workshop allows language models (LLMs) in reviewing "
    "only to edit the language of your own text (spelling, grammar, wording): not to read or "
    "summarise the paper, judge it, or write the review's content. Do not give the paper to "
    "one.",
    ReviewLlmPolicy.WITH_STATEMENT: "This workshop allows language models (LLMs) in "
    "reviewing, provided you say how you used one. The paper is confidential: do not give it "
    "to a service that keeps or learns from what it is given.",
}

# The answers each policy accepts (the form offers these; others are refused on submit).
ACCEPTED: dict[str, tuple[str, ...]] = {
    ReviewLlmPolicy.NONE: (),
    ReviewLlmPolicy.NOT_ALLOWED: (LlmUse.NO,),
    ReviewLlmPolicy.LANGUAGE_ONLY: (LlmUse.NO, LlmUse.LANGUAGE),
    ReviewLlmPolicy.WITH_STATEMENT: (LlmUse.NO, LlmUse.LANGUAGE, LlmUse.YES),
}


def llm_question_asked(workshop: Workshop) -> bool:
    """Whether the workshop's reviews carry a declaration (it has a policy)."""
    return bool(ACCEPTED.get(workshop.review_llm_policy))


def llm_policy_words(workshop: Workshop) -> str:
    return POLICY_WORDS.get(workshop.review_llm_policy, "")


def llm_choices(workshop: Workshop) -> list[tuple[str, str]]:
    """The answers the form offers under the workshop's policy (none without a policy)."""
    return [(use, LlmUse(use).label) for use in ACCEPTED.get(workshop.review_llm_policy, ())]


def llm_asks_statement(workshop: Workshop) -> bool:
    """Whether the form asks how a language model was used (required for a "yes")."""
    return workshop.review_llm_policy == ReviewLlmPolicy.WITH_STATEMENT


def llm_statement_required(workshop: Workshop, use: str) -> bool:
    return llm_asks_statement(workshop) and use == LlmUse.YES


def _refusal(workshop: Workshop, use: str) -> str:
    """Why the policy refuses this answer, and what the reviewer can do."""
    contact = f"write to the chairs ({workshop.contact_email})"
    if workshop.review_llm_policy == ReviewLlmPolicy.NOT_ALLOWED:
        return (
            "This workshop does not allow language models in reviewing, not even for language "
            "editing, so a review written with one cannot be submitted: write it without one, "
            f"or {contact}."
        )
    return (
        "This workshop allows language models for language editing only, so a review that "
        "used one beyond that cannot be submitted: rewrite those parts yourself, or "
        f"{contact}."
    )


def llm_declaration_changes(
    workshop: Workshop,
    review: Review,
    *,
    use: str | None,
    statement: str | None,
    submitting: bool,
) -> dict[str, str]:
    """The declaration's fields that change on `review` ({} when nothing does, and always
    without a policy: no question was asked, whatever a client sends). `use` and
    `statement` None keep the stored ones (a client that does not send them).

    Checked always: the answer is one of `LlmUse`, the statement at most MAX_STATEMENT
    characters. Checked when `submitting`: an answer is given, the policy accepts it, and
    the statement the policy asks for is there. A draft keeps what was typed, so an
    autosave never loses it; the submit says what is wrong. Raises ServiceError.
    """
    if not llm_question_asked(workshop):
        return {}
    use = review.llm_use if use is None else str(use).strip()
    statement = review.llm_statement if statement is None else str(statement)
    statement = statement.replace("\x00", "").replace("\r\n", "\n").strip()
    if use and use not in LlmUse.values:
        offered = ", ".join(f"“{label}” ({value})" for value, label in llm_choices(workshop))
        raise ServiceError(f"“{QUESTION}”: answer one of {offered}.")
    if len(statement) > MAX_STATEMENT:
        raise ServiceError(
            f"The statement of how you used a language model is longer than "
            f"{MAX_STATEMENT:,} characters."
        )
    if use == LlmUse.NO:
        statement = ""  # nothing to state; a statement typed before the answer changed
    if submitting:
        if not use:
            raise ServiceError(f"Please answer: {QUESTION}")
        if use not in ACCEPTED[workshop.review_llm_policy]:
            raise ServiceError(_refusal(workshop, use))
        if llm_statement_required(workshop, use) and not statement:
            raise ServiceError(
                "Please say how you used a language model: this workshop asks for a statement "
                "when one was used beyond language editing."
            )
    wanted = {"llm_use": use, "llm_statement": statement}
    return {name: value for name, value in wanted.items() if getattr(review, name) != value}
