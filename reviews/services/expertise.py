"""A person's publication list: import (with a dry run), exclude/include, manual entries.

Every action asks `reviews.edit_publications` (the list is its owner's alone; the system
actor acts for anyone), locks the owner's list, writes one activity entry when something
changed, and touches the owner's reviewer profiles so that cached bidding fits are
recomputed. Imports merge duplicates by DOI, else by normalised title, within the file and
against the list; a merge fills what the stored publication lacks and keeps its
`excluded` choice. A file with any error changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from workshop.activity import activity_record
from workshop.errors import NotFound, ServiceError
from workshop.models import User
from workshop.policy import require, require_visible

from ..expertise.importers import MAX_BYTES, ParsedPublication, decode, parse
from ..models import Publication, PublicationSource, ReviewerProfile
from ..models.expertise import normalise_doi, title_key
from .embeddings import profile_texts_changed

NOT_YOURS = "Only the owner of a publication list can change it."
MAX_UPLOAD = MAX_BYTES
MERGED_FIELDS = ("abstract", "year", "venue", "url", "doi")


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), line by line."""

    format: str
    dry_run: bool
    errors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    created: int = 0
    merged: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _owner_check(actor: Any, owner: User) -> None:
    require(actor, "reviews.edit_publications", owner, message=NOT_YOURS)


def _touch_profiles(owner: User) -> None:
    """The list changed: cached bidding fits are recomputed, and the new texts' embeddings
    are computed in a worker after commit."""
    ReviewerProfile.objects.filter(user=owner).update(updated_at=timezone.now())
    profile_texts_changed(owner.pk)


def _find(
    known_doi: dict[str, Publication],
    known_title: dict[str, Publication],
    parsed: ParsedPublication,
) -> Publication | None:
    doi = normalise_doi(parsed.doi) if parsed.doi else ""
    return (known_doi.get(doi) if doi else None) or known_title.get(title_key(parsed.title))


def _merge(pub: Publication, parsed: ParsedPublication, source: str) -> list[str]:
    """Fill what `pub` lacks from `parsed`; the names of the fields that changed."""
    changed = []
    for name in MERGED_FIELDS:
        new = getattr(parsed, name)
        if name == "doi" and new:
            new = normalise_doi(new)
        if new and not getattr(pub, name):
            setattr(pub, name, new)
            changed.append(name)
    if len(parsed.authors) > len(pub.authors or []):
        pub.authors = parsed.authors
        changed.append("authors")
    if source not in (pub.sources or []):
        pub.sources = [*(pub.sources or []), source]
        changed.append("sources")
    return changed


def publications_import(
    *, actor: Any, owner: User, data: bytes | str, fmt: str = "auto", dry_run: bool = False
) -> ImportReport:
    """Read a file of publications into `owner`'s list.

    Preconditions: `reviews.edit_publications` on `owner`. With `dry_run` nothing is written
    and the report says what would happen. A file with any error (unreadable, broken entry,
    entry without title) writes nothing: the report lists the errors with their lines.
    Side effects (not dry run, something changed): the publications, one
    `publications.import` activity entry, the owner's profiles touched.
    """
    _owner_check(actor, owner)
    text, problem = decode(data) if isinstance(data, bytes) else (data, None)
    if problem or text is None:
        return ImportReport(fmt, dry_run, errors=[problem or "The file is empty."])
    parsed = parse(text, fmt)
    report = ImportReport(parsed.format, dry_run, errors=list(parsed.errors))
    if report.errors:
        return report
    source = parsed.format if parsed.format in PublicationSource.values else "bibtex"
    with transaction.atomic():
        existing = list(Publication.objects.select_for_update().filter(user=owner))
        by_doi = {p.doi: p for p in existing if p.doi}
        by_title = {p.title_key: p for p in existing}
        changed: dict[int, Publication] = {}
        for item in parsed.publications:
            where = f"line {item.line}: " if item.line else ""
            found = _find(by_doi, by_title, item)
            if found is None:
                pub = Publication(
                    user=owner,
                    title=item.title,
                    abstract=item.abstract,
                    year=item.year,
                    venue=item.venue,
                    authors=item.authors,
                    url=item.url,
                    doi=item.doi,
                    sources=[source],
                )
                pub.title_key, pub.doi = title_key(item.title), normalise_doi(item.doi)
                if pub.doi:
                    by_doi[pub.doi] = pub
                by_title[pub.title_key] = pub
                changed[id(pub)] = pub
                report.created += 1
                report.lines.append(f"{where}“{item.title}” — new")
                continue
            fields = _merge(found, item, source)
            if fields and found.pk is not None:
                changed[id(found)] = found
            if found.pk is None or fields:
                report.merged += 1
                how = f"DOI {found.doi}" if found.doi and item.doi else "the same title"
                report.lines.append(f"{where}“{item.title}” — merged with “{found.title}” ({how})")
            else:
                report.unchanged += 1
                report.lines.append(f"{where}“{item.title}” — already in your list")
        if dry_run or not changed:
            transaction.set_rollback(True)
            return report
        for pub in changed.values():
            try:
                pub.full_clean(
                    exclude=["user", "title_key"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                transaction.set_rollback(True)
                report.errors.append(f"“{pub.title}”: {'; '.join(exc.messages)}")
                return report
            pub.save()
        _touch_profiles(owner)
        activity_record(
            actor=actor,
            target=owner,
            action="publications.import",
            summary=f"{owner} imported publications ({parsed.format}): {report.created} new, "
            f"{report.merged} merged, {report.unchanged} already there",
            after={"created": report.created, "merged": report.merged, "format": parsed.format},
        )
    return report


def publication_for(actor: Any, owner: User, pk: int) -> Publication:
    """One of `owner`'s publications (NotFound for another's or none)."""
    require_visible(actor, "reviews.edit_publications", owner)
    found = Publication.objects.filter(pk=pk, user=owner).first()
    if found is None:
        raise NotFound("No such publication.")
    return found


@transaction.atomic
def publication_set_excluded(
    *, actor: Any, publication: Publication, excluded: bool
) -> Publication:
    """Leave a publication out of (or take it back into) the expertise; kept on re-import.
    Side effects: one `publication.exclude`/`publication.include` entry when it changed."""
    _owner_check(actor, publication.user)
    pub = Publication.objects.select_for_update().get(pk=publication.pk)
    if pub.excluded == excluded:
        return pub
    pub.excluded = excluded
    pub.save(update_fields=["excluded", "updated_at"])
    _touch_profiles(pub.user)
    activity_record(
        actor=actor,
        target=pub,
        action="publication.exclude" if excluded else "publication.include",
        summary=f"{pub.user} {'excluded' if excluded else 'included'} “{pub.title}”",
        before={"excluded": not excluded},
        after={"excluded": excluded},
    )
    return pub


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    title = " ".join(str(fields.get("title") or "").split())
    if not title:
        raise ServiceError("A publication needs a title.")
    year = fields.get("year")
    if year is not None and not (1800 <= int(year) <= timezone.now().year + 1):
        raise ServiceError("The year is out of range.")
    authors = fields.get("authors") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in authors.replace(";", "\n").splitlines() if a.strip()]
    return {
        "title": title[:500],
        "abstract": str(fields.get("abstract") or "").strip(),
        "year": year,
        "venue": str(fields.get("venue") or "").strip()[:300],
        "authors": authors,
        "url": str(fields.get("url") or "").strip(),
        "doi": normalise_doi(str(fields.get("doi") or "")),
    }


def _duplicate(owner: User, values: dict[str, Any], exclude_pk: int | None = None) -> None:
    others = Publication.objects.filter(user=owner).exclude(pk=exclude_pk)
    if others.filter(title_key=title_key(values["title"])).exists() or (
        values["doi"] and others.filter(doi=values["doi"]).exists()
    ):
        raise ServiceError("This publication is already in your list (same title or DOI).")


@transaction.atomic
def publication_add(*, actor: Any, owner: User, **fields: Any) -> Publication:
    """A publication entered by hand. Side effects: one `publication.add` entry."""
    _owner_check(actor, owner)
    list(Publication.objects.select_for_update().filter(user=owner).values_list("pk"))
    values = _clean_fields(fields)
    _duplicate(owner, values)
    pub = Publication(user=owner, sources=[PublicationSource.MANUAL], **values)
    try:
        pub.full_clean(exclude=["user", "title_key"], validate_constraints=False)
    except ValidationError as exc:
        raise ServiceError("; ".join(exc.messages)) from None
    pub.save()
    _touch_profiles(owner)
    activity_record(
        actor=actor, target=pub, action="publication.add", summary=f"{owner} added “{pub.title}”"
    )
    return pub


@transaction.atomic
def publication_update(*, actor: Any, publication: Publication, **fields: Any) -> Publication:
    """Edit a publication (any source). Side effects: one `publication.update` entry."""
    _owner_check(actor, publication.user)
    pub = Publication.objects.select_for_update().get(pk=publication.pk)
    values = _clean_fields(fields)
    _duplicate(pub.user, values, exclude_pk=pub.pk)
    before = {k: getattr(pub, k) for k in values}
    for key, value in values.items():
        setattr(pub, key, value)
    try:
        pub.full_clean(exclude=["user", "title_key"], validate_constraints=False)
    except ValidationError as exc:
        raise ServiceError("; ".join(exc.messages)) from None
    changed = sorted(k for k in values if before[k] != values[k])
    if not changed:
        return pub
    pub.save()
    _touch_profiles(pub.user)
    activity_record(
        actor=actor,
        target=pub,
        action="publication.update",
        summary=f"{pub.user} edited “{pub.title}” ({', '.join(changed)})",
        before={k: before[k] for k in changed},
        after={k: values[k] for k in changed},
    )
    return pub


@transaction.atomic
def publication_delete(*, actor: Any, publication: Publication) -> None:
    """Remove a publication from the list. Side effects: one `publication.delete` entry."""
    _owner_check(actor, publication.user)
    pub = Publication.objects.select_for_update().get(pk=publication.pk)
    activity_record(
        actor=actor,
        target=pub,
        action="publication.delete",
        summary=f"{pub.user} removed “{pub.title}”",
    )
    pub.delete()
    _touch_profiles(publication.user)
