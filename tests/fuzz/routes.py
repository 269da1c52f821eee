"""Every URL pattern of the project, from the root resolver, with its parameters filled in from
the fuzz world: the objects each role is most likely to be allowed to open come first."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Model, Q
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .world import INVITATION_ACCEPT, FuzzWorld

# Not HTML forms: the API has its own fuzz (Schemathesis); the admin's catch-all, its
# "view on site" redirect and Django's i18n catalogue serve no form.
SKIPPED_PREFIXES = ("api:",)
SKIPPED_NAMES = {"admin:view_on_site", "admin:jsi18n", "admin:autocomplete", "healthz"}
# FUZZ_EXAMPLES=30 for a run by hand: hostile values per field (and whole-form variants),
# and more objects per workshop; the in-suite run sends one of each.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1"))
SEED = int(os.environ.get("FUZZ_SEED", "30"))
BOUNDED = EXAMPLES == 1
PER_WORKSHOP = 1 if BOUNDED else 2  # objects tried per workshop and parameter
# Files, feeds and logs: no form on them (the bounded run does not open them).
NO_FORM = {
    "submissions:paper", "submissions:file", "submissions:accepted_pdf", "forum:pdf",
    "forum:feed", "reviews:paper_pdf", "programme:ics", "programme:session_ics",
    "programme:speaker_photo", "programme:material", "admin:submissions_bundle_download",
    "admin:transfer_download", "admin:reviews_decisions_export", "admin:reviews_decisions_plots",
    "favicon",
}  # fmt: skip


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name
    pattern: str
    params: tuple[str, ...]


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str, outer: tuple) -> None:
        for entry in resolver.url_patterns:
            params = outer + tuple(entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                ns = ":".join(x for x in (namespace, entry.namespace or "") if x)
                walk(entry, prefix + str(entry.pattern), ns, params)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                found.append(Route(name, prefix + str(entry.pattern), params))

    walk(get_resolver(), "", "", ())
    skipped = SKIPPED_NAMES | (NO_FORM if BOUNDED else set())
    return [
        r
        for r in found
        if r.name not in skipped
        and not r.name.startswith(SKIPPED_PREFIXES)
        and not (BOUNDED and r.name.endswith("_history"))
    ]


def urls_for(route: Route, world: FuzzWorld, role: str) -> Iterator[str]:
    """The route's URLs for the role, most promising first (each at most once)."""
    seen: set[str] = set()
    for kwargs in _kwargs(route, world, role):
        url = reverse(route.name, kwargs=kwargs)
        if url not in seen:
            seen.add(url)
            yield url


def _kwargs(route: Route, world: FuzzWorld, role: str) -> Iterator[dict]:
    from api.models import ApiToken
    from programme.models import Session, Speaker
    from reviews.models import Publication
    from submissions.models import FileKind, SubmissionFile

    params = set(route.params)
    user = world.users[role]
    if not params:
        yield {}
        return
    if route.name.startswith("admin:"):
        yield from _admin_kwargs(route, world, role)
        return
    if params <= {"key", "uidb36"}:
        yield dict.fromkeys(params, "x1-bogus")
        return
    if params == {"token"}:
        yield {"token": INVITATION_ACCEPT}
        yield {"token": "not-a-token"}
        return
    if route.name == "api_tokens:revoke":
        owner = user or world.users["author"]
        for pk in ApiToken.objects.filter(user=owner).values_list("pk", flat=True)[:1]:
            yield {"pk": pk}
        return
    if "slug" in params:
        for workshop in world.workshops:
            base = {"slug": workshop.slug}
            if params == {"slug"}:
                yield base
            elif "number" in params:
                if params - {"slug", "number"}:
                    continue  # a paper's file by its own key (e.g. an answer's attachment): no form
                for number in _numbers(workshop, user, world):
                    yield {**base, "number": number}
            elif route.name == "reviews:publication_change":
                owner = user or world.users["reviewer"]
                for pk in Publication.objects.filter(user=owner).values_list("pk", flat=True)[:1]:
                    yield {**base, "pk": pk}
            elif route.name == "reviews:bid":
                for pk in _papers(workshop, user, world).values_list("pk", flat=True):
                    yield {**base, "pk": pk}
            elif "session" in route.name:
                for pk in Session.objects.filter(workshop=workshop).values_list("pk", flat=True)[
                    :PER_WORKSHOP
                ]:
                    yield {**base, "pk": pk}
            elif "speaker" in route.name:
                for pk in Speaker.objects.filter(workshop=workshop).values_list("pk", flat=True)[
                    :PER_WORKSHOP
                ]:
                    yield {**base, "pk": pk}
        return
    if "pk" in params:  # the submissions pages
        author = world.users["author"]
        pks = [
            pk
            for workshop in world.workshops
            for pk in _papers(workshop, author, world).values_list("pk", flat=True)
        ]
        for pk in pks:
            if params == {"pk"}:
                yield {"pk": pk}
            elif "kind" in params:
                for kind in (FileKind.PAPER, FileKind.SUPPLEMENTARY, "bogus"):
                    yield {"pk": pk, "kind": kind}
            elif "file_pk" in params:
                for file_pk in SubmissionFile.objects.filter(submission_id=pk).values_list(
                    "pk", flat=True
                )[:1]:
                    yield {"pk": pk, "file_pk": file_pk}


def _papers(workshop, user, world: FuzzWorld):
    """The workshop's papers, those the user wrote or was assigned first, at most two."""
    from submissions.models import Submission

    papers = Submission.objects.filter(workshop=workshop)
    mine = papers.none()
    if user is not None:
        mine = papers.filter(
            Q(created_by=user) | Q(authors__email=user.email) | Q(assignments__reviewer=user)
        ).distinct()
    chosen = list(mine.order_by("number").values_list("pk", flat=True)[:PER_WORKSHOP])
    chosen += list(papers.exclude(pk__in=chosen).order_by("number").values_list("pk", flat=True)[
        : max(0, PER_WORKSHOP - len(chosen))
    ])  # fmt: skip
    return Submission.objects.filter(pk__in=chosen).order_by("number")


def _numbers(workshop, user, world: FuzzWorld) -> list[int]:
    return list(_papers(workshop, user, world).values_list("number", flat=True))


def _admin_kwargs(route: Route, world: FuzzWorld, role: str) -> Iterator[dict]:
    from reviews.models import MatchingRun
    from submissions.models import ProceedingsBundle
    from transfer.models import TransferJob

    params = set(route.params)
    if params == {"object_id"}:
        app_model = route.name.removeprefix("admin:").rsplit("_", 1)[0]
        model = _admin_model(app_model)
        if model is None:
            return
        for pk in _sample(model, world):
            yield {"object_id": pk}
        return
    if params == {"id"}:  # the user's password form
        yield {"id": world.users["author"].pk}
        return
    sources = {
        "run_id": MatchingRun,
        "job_id": TransferJob,
        "bundle_id": ProceedingsBundle,
    }
    (param,) = params
    if param == "app_label":
        from django.contrib import admin

        for label in sorted({m._meta.app_label for m in admin.site._registry}):
            yield {param: label}
        return
    if param == "workshop_id":
        for workshop in world.workshops:
            yield {param: workshop.pk}
        return
    if param in sources:
        for pk in _sample(sources[param], world):
            yield {param: pk}


def _admin_model(app_model: str) -> type[Model] | None:
    for model in apps.get_models():
        if f"{model._meta.app_label}_{model._meta.model_name}" == app_model:
            return model
    return None


def _sample(model: type[Model], world: FuzzWorld) -> list[int]:
    """A few objects of the model: of the demo's workshops first (what the chair sees)."""
    objects = model._default_manager.all()
    for path in ("workshop", "submission__workshop", "assignment__submission__workshop"):
        try:
            scoped = objects.filter(**{f"{path}__in": world.workshops})
            return list(scoped.order_by("pk").values_list("pk", flat=True)[:PER_WORKSHOP])
        except Exception:  # noqa: BLE001 - the model has no such path: try the next
            continue
    return list(objects.order_by("pk").values_list("pk", flat=True)[:PER_WORKSHOP])
