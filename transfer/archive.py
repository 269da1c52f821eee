"""The full-workshop archive: `workshop.json` (every row, foreign keys as archive-local
ordinals), the files, `MANIFEST.sha256`, and `MANIFEST.sig`, the deployment's signature of
the manifest.

Rows are numbered 1..n per model in primary-key order and every reference names that
ordinal, so two exports of equal workshops are byte-for-byte equal whatever their database
ids; `archive_restore` creates rows in the same order, which keeps that true after a
round trip, mail excepted. Users are referenced by e-mail address and carry no password.

The manifest proves only that the files are whole: anybody can recompute it. The signature
(an HMAC of the manifest with a key derived from SECRET_KEY) says the archive left this
deployment as it is; a foreign or unsigned archive is restored only when the caller says so
explicitly (`allow_unsigned`), with a warning in the report. Whatever the archive says, a
restore never sends mail: restored mails arrive as history (issue 30).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import json
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import DataError, IntegrityError, models, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from workshop.activity import activity_record
from workshop.models import MailStatus, OutgoingMail, Role, User, Workshop
from workshop.plurals import counted

from .limits import open_zip, read_member
from .report import Progress, Report

FORMAT = "workshop-archive"
VERSION = 1
MANIFEST = "MANIFEST.sha256"
SIGNATURE = "MANIFEST.sig"
SIGNATURE_SALT = "transfer.archive.manifest"
# What an administrator does to restore an archive this deployment did not sign.
ALLOW_UNSIGNED_HOW = (
    'restore it only if you trust where it came from: tick "Restore an unsigned or foreign '
    'archive" on the restore page, or pass --allow-unsigned to transfer_import'
)
# Mail that went out where the archive was made: kept as it is. Any other status (queued,
# held, sending, failed, waiting for a digest) could still be sent, released or retried here.
DELIVERED = {MailStatus.SENT, MailStatus.DIGESTED}
RESTORED_MAIL_NOTE = "Restored from an archive (was {status}): history, never sent from here."

# (model label, lookup from the model to the workshop), in dependency order.
SPEC: list[tuple[str, str]] = [
    ("workshop.Workshop", "pk"),
    ("workshop.Topic", "workshop"),
    ("workshop.Track", "workshop"),
    ("workshop.Membership", "workshop"),
    ("workshop.TrackMember", "track__workshop"),
    ("submissions.SubmissionType", "workshop"),
    ("submissions.SubmissionField", "workshop"),
    ("submissions.Submission", "workshop"),
    ("submissions.SubmissionFile", "submission__workshop"),
    ("submissions.Authorship", "submission__workshop"),
    ("submissions.AuthorConflict", "submission__workshop"),
    ("submissions.SubmissionFieldValue", "submission__workshop"),
    ("reviews.Invitation", "workshop"),
    ("reviews.ReviewerProfile", "workshop"),
    ("reviews.TopicExpertise", "profile__workshop"),
    ("reviews.Bid", "submission__workshop"),
    ("reviews.ConflictDeclaration", "workshop"),
    ("reviews.ConflictOverride", "submission__workshop"),
    # Review and response rounds (issue 27): before the questions, assignments and decision
    # categories that point at a round.
    ("reviews.ReviewRound", "workshop"),
    ("reviews.PaperRound", "submission__workshop"),
    ("reviews.ResponseRound", "workshop"),
    ("reviews.ReviewQuestion", "workshop"),
    ("reviews.Assignment", "submission__workshop"),
    ("reviews.Review", "assignment__submission__workshop"),
    # External reviewers (issue 28): the chairs' choices, and each request (its links'
    # hashes too: a restored pending invitation keeps working where it was sent).
    ("reviews.ExternalReviewSettings", "workshop"),
    ("reviews.ExternalReviewRequest", "submission__workshop"),
    ("reviews.Answer", "review__assignment__submission__workshop"),
    ("reviews.ReviewVersion", "review__assignment__submission__workshop"),
    ("reviews.Comment", "submission__workshop"),
    ("reviews.MetaReview", "submission__workshop"),
    ("reviews.DecisionCategory", "workshop"),
    ("reviews.Decision", "submission__workshop"),
    ("reviews.PaperScore", "submission__workshop"),
    ("reviews.AuthorResponse", "submission__workshop"),
    ("reviews.SavedSearch", "workshop"),
    ("reviews.AffinityScore", "workshop"),
    ("reviews.Publication", "user__memberships__workshop"),
    ("reviews.MatchingRun", "workshop"),
    ("reviews.PublicComment", "submission__workshop"),
    ("reviews.PaperVisit", "submission__workshop"),
    ("reviews.ReviewSignature", "workshop"),
    ("reviews.ReviewBand", "workshop"),
    ("reviews.ReviewFlag", "submission__workshop"),
    # Tags, votes and review ratings (issue 28).
    ("reviews.RatingSettings", "workshop"),
    ("reviews.ReviewRating", "review__assignment__submission__workshop"),
    ("reviews.PaperTag", "submission__workshop"),
    ("reviews.Vote", "workshop"),
    ("reviews.PaperVote", "vote__workshop"),
    ("submissions.ProceedingsBundle", "workshop"),
    ("programme.ProgrammeSettings", "workshop"),
    ("programme.Session", "workshop"),
    ("programme.Speaker", "workshop"),
    ("programme.Placement", "session__workshop"),
    ("workshop.OutgoingMail", "workshop"),
    ("workshop.Activity", "workshop"),
    ("transfer.SourceRecord", "workshop"),  # last: it may point at any row above
]
# Models with a way to a workshop that the archive leaves out, and why (a test walks every
# model: one with a workshop in neither list fails it).
NOT_ARCHIVED = {
    "transfer.TransferJob": "this deployment's own log of imports and exports",
    "api.ApiToken": "a person's secret for this deployment, never carried elsewhere",
    "reviews.ReviewCopy": "reviewers' marked copies of papers, keyed by this deployment's "
    "secret: made again on the next download; a copy leaked from here is traced here",
}
# Rows whose JSON holds ids of other rows: [[submission, reviewer, ...]].
PAIRS_IN_JSON = {"reviews.MatchingRun": ("baseline", "result.pairs")}
USER = "workshop.User"
EMAIL = "account.EmailAddress"
USER_EXCLUDED = {"password", "is_superuser", "last_login"}
SKIPPED_M2M = {"groups", "user_permissions"}


def _models() -> list[tuple[str, type[models.Model], str]]:
    found = []
    for label, path in SPEC:
        try:
            found.append((label, apps.get_model(label), path))
        except LookupError:  # an app of this deployment without that model
            continue
    return found


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _fields(model: type[models.Model]) -> list[models.Field]:
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and not f.is_relation)
        and not (model is User and f.name in USER_EXCLUDED)
    ]
    return fields


def _m2m(model: type[models.Model]) -> list[models.ManyToManyField]:
    return [f for f in model._meta.many_to_many if f.name not in SKIPPED_M2M]


def _pairs_map(row: dict[str, Any], place: str, papers: dict, people: dict) -> None:
    """Map the [[submission, reviewer, ...]] list at `place` ("baseline", "result.pairs")
    of an exported or restored row through the two id maps; unknown ids become None."""
    holder: Any = row
    *path, key = place.split(".")
    for step in path:
        holder = holder.get(step) if isinstance(holder, dict) else None
    if not isinstance(holder, dict) or not isinstance(holder.get(key), list):
        return
    holder[key] = [
        [papers.get(pair[0]), people.get(pair[1]), *pair[2:]]
        if isinstance(pair, list) and len(pair) >= 2
        else pair
        for pair in holder[key]
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)  # exact, unlike a float
    return value


# --- Signature --------------------------------------------------------------------------------


def manifest_signature(manifest: bytes, secret: str | bytes | None = None) -> str:
    """This deployment's signature of a manifest: HMAC-SHA256 with a key derived from
    SECRET_KEY (or `secret`) for this purpose only."""
    return salted_hmac(SIGNATURE_SALT, manifest, secret=secret, algorithm="sha256").hexdigest()


def signature_problem(manifest: bytes, signature: bytes | None) -> str | None:
    """None when this deployment signed `manifest` (with its key or a fallback key it still
    accepts after a rotation), otherwise what is wrong with the signature."""
    if signature is None:
        return "The archive is not signed (MANIFEST.sig is missing)"
    given = signature.decode("ascii", "replace").strip()
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(constant_time_compare(manifest_signature(manifest, key), given) for key in keys):
        return None
    return (
        "The archive's signature is not this deployment's: it was exported by another "
        "deployment, or changed after its export"
    )


# --- Export -----------------------------------------------------------------------------------


class _Exporter:
    def __init__(self, workshop: Workshop) -> None:
        self.workshop = workshop
        self.rows: dict[str, list[models.Model]] = {}
        self.ordinal: dict[str, dict[Any, int]] = defaultdict(dict)
        self.files: dict[str, bytes] = {}

    def collect(self) -> None:
        user_ids: set[int] = set()
        for label, model, path in _models():
            rows = list(model.objects.filter(**{path: self.workshop.pk}).distinct().order_by("pk"))
            self.rows[label] = rows
            self.ordinal[label] = {row.pk: i for i, row in enumerate(rows, start=1)}
            for f in _fields(model):
                if f.is_relation and f.related_model is User:
                    user_ids.update(getattr(r, f.attname) for r in rows)
        user_ids.discard(None)
        users = list(User.objects.filter(pk__in=user_ids).order_by("pk"))
        self.rows = {USER: users, **self.rows}
        self.ordinal[USER] = {u.pk: i for i, u in enumerate(users, start=1)}
        emails = list(EmailAddress.objects.filter(user_id__in=user_ids).order_by("pk"))
        self.rows = {
            USER: users,
            EMAIL: emails,
            **{k: v for k, v in self.rows.items() if k != USER},
        }
        self.ordinal[EMAIL] = {e.pk: i for i, e in enumerate(emails, start=1)}

    def ref(self, model: type[models.Model], pk: Any) -> Any:
        if pk is None:
            return None
        if model is ContentType:
            ct = ContentType.objects.get_for_id(pk)
            return f"{ct.app_label}.{ct.model}"
        return self.ordinal[_label(model)].get(pk)

    def row(self, label: str, obj: models.Model) -> dict[str, Any]:
        model = type(obj)
        out: dict[str, Any] = {"id": self.ordinal[label][obj.pk]}
        for f in _fields(model):
            value = getattr(obj, f.attname)
            if f.is_relation:
                value = self.ref(f.related_model, value)
            elif isinstance(f, models.FileField):
                value = self.file(label, out["id"], f, obj) if value else ""
            else:
                value = _plain(f.value_from_object(obj))
            out[f.name] = value
        for f in _m2m(model):
            out[f.name] = sorted(
                self.ref(f.related_model, pk)
                for pk in getattr(obj, f.name).values_list("pk", flat=True)
            )
        if hasattr(obj, "target_type_id") and "target_id" in out:
            ct = ContentType.objects.get_for_id(obj.target_type_id) if obj.target_type_id else None
            target_model = ct.model_class() if ct else None
            out["target_id"] = (
                self.ordinal.get(_label(target_model), {}).get(obj.target_id)
                if target_model is not None and obj.target_id is not None
                else None
            )
            out["submission_id"] = self.ordinal["submissions.Submission"].get(obj.submission_id)
        if label == "reviews.ReviewVersion":
            questions = self.ordinal["reviews.ReviewQuestion"]
            out["answers"] = {str(questions.get(int(k), k)): v for k, v in obj.answers.items()}
        if label in PAIRS_IN_JSON:
            papers, people = self.ordinal["submissions.Submission"], self.ordinal[USER]
            for place in PAIRS_IN_JSON[label]:
                _pairs_map(out, place, papers, people)
        if label == "transfer.SourceRecord":
            model_class = ContentType.objects.get_for_id(obj.content_type_id).model_class()
            out["object_id"] = self.ordinal.get(_label(model_class), {}).get(obj.object_id)
        return out

    def file(self, label: str, ordinal: int, f: models.FileField, obj: models.Model) -> str:
        name = f"files/{label}/{ordinal}-{f.name}"
        with getattr(obj, f.attname).open("rb") as handle:
            self.files[name] = handle.read()
        return name


def archive_export(*, workshop: Workshop, progress: Progress | None = None) -> bytes:
    """The zip of one workshop, signed by this deployment (`MANIFEST.sig`). Reads only; no
    activity entry (the job records it)."""
    exporter = _Exporter(workshop)
    exporter.collect()
    total = sum(len(rows) for rows in exporter.rows.values())
    done = 0
    data: dict[str, list[dict[str, Any]]] = {}
    for label, rows in exporter.rows.items():
        data[label] = [exporter.row(label, r) for r in rows]
        done += len(rows)
        if progress:
            progress(done, total)
    document = {"format": FORMAT, "version": VERSION, "workshop": workshop.slug, "models": data}
    body = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False).encode()
    entries = {"workshop.json": body, **exporter.files}
    manifest = "".join(
        f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in entries.items()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
        archive.writestr(MANIFEST, manifest)
        archive.writestr(SIGNATURE, manifest_signature(manifest.encode()) + "\n")
    return buffer.getvalue()


# --- Import -----------------------------------------------------------------------------------


def read_archive(
    data: bytes, report: Report, *, allow_unsigned: bool = False
) -> tuple[dict[str, Any], dict[str, bytes]] | None:
    """Verify the archive (safe paths, sizes, every manifest line, readable members, this
    deployment's signature) and return the document and the files, or None with the
    problems in `report`. A foreign or unsigned archive passes only with `allow_unsigned`,
    and then with a warning."""
    archive = open_zip(data, report)
    if archive is None:
        return None
    names = set(archive.namelist())
    if MANIFEST not in names or "workshop.json" not in names:
        report.error(0, "Not a workshop archive: MANIFEST.sha256 or workshop.json is missing.")
        return None
    manifest = _read(archive, MANIFEST, report)
    signature = _read(archive, SIGNATURE, report) if SIGNATURE in names else None
    if manifest is None or report.errors:
        return None
    contents: dict[str, bytes] = {}
    lines = manifest.decode("utf-8", "replace").splitlines()
    listed = set()
    for number, line in enumerate(lines, start=1):
        digest, _, name = line.partition("  ")
        if name not in names:
            report.error(f"MANIFEST.sha256:{number}", f"{name} is listed but missing.")
            continue
        listed.add(name)
        content = _read(archive, name, report)
        if content is None:
            continue
        if hashlib.sha256(content).hexdigest() != digest:
            report.error(f"MANIFEST.sha256:{number}", f"{name} does not match its checksum.")
        contents[name] = content
    for extra in sorted(names - listed - {MANIFEST, SIGNATURE}):
        report.error(extra, "A file the manifest does not list.")
    if report.errors:
        return None
    problem = signature_problem(manifest, signature)
    if problem and not allow_unsigned:
        report.error(SIGNATURE, f"{problem}: {ALLOW_UNSIGNED_HOW}.")
        return None
    if problem:
        report.warn(
            SIGNATURE,
            f"{problem}. Restored because it was explicitly allowed; check what it holds "
            "(its mails arrive as history and are never sent).",
        )
    try:
        document = json.loads(contents["workshop.json"])
    except ValueError as exc:
        report.error(f"workshop.json:{getattr(exc, 'lineno', 0)}", f"Malformed JSON: {exc}")
        return None
    if (
        not isinstance(document, dict)
        or document.get("format") != FORMAT
        or document.get("version") != VERSION
        or not isinstance(document.get("models"), dict)
    ):
        report.error("workshop.json", "Unknown archive format or version.")
        return None
    return document, contents


def _read(archive: zipfile.ZipFile, name: str, report: Report) -> bytes | None:
    """One member, or None with the reason in `report`: a member whose bytes do not match
    its CRC-32, that does not inflate, or that is longer than its header says."""
    try:
        return read_member(archive, name)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        reason = (
            "its content does not match its CRC-32 checksum"
            if "CRC" in str(exc)
            else f"it cannot be unpacked ({exc})"
        )
        report.error(name, f"{name} is damaged in the zip: {reason}.")
        return None


def _value(f: models.Field, raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(f, models.DateTimeField):
        return dt.datetime.fromisoformat(raw)
    if isinstance(f, models.DateField):
        return dt.date.fromisoformat(raw)
    if isinstance(f, models.TimeField):
        return dt.time.fromisoformat(raw)
    if isinstance(f, models.DurationField):
        return dt.timedelta(seconds=raw)
    if isinstance(f, models.DecimalField):
        return Decimal(str(raw))
    return raw


class ArchiveDefect(Exception):
    """A row of the archive that cannot be restored (a reference to a row or a file the
    archive does not hold, a malformed value): `where` names the row and field."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class _Restorer:
    def __init__(
        self, document: dict[str, Any], files: dict[str, bytes], report: Report, slug: str | None
    ) -> None:
        self.models: dict[str, list[dict[str, Any]]] = document["models"]
        self.files = files
        self.report = report
        self.slug = slug
        self.target_slug = slug or document["models"]["workshop.Workshop"][0]["slug"]
        self.new_pk: dict[str, dict[int, Any]] = defaultdict(dict)
        self.saved: list[tuple[Any, str]] = []  # (storage, name): removed if rolled back
        self.where = "workshop.json"  # the row being restored, for the report
        # Ordinals of the archive's people who had an account here already.
        self.existing_users: set[int] = set()

    def users(self) -> None:
        rows = self.models.get(USER, [])
        chairs = {
            m["user"] for m in self.models.get("workshop.Membership", []) if m["role"] == Role.CHAIR
        } | {  # and the chairs of a track (issue 27), who enter the chair tools too
            m["user"]
            for m in self.models.get("workshop.TrackMember", [])
            if m["role"] == Role.CHAIR
        }
        emails = [r["email"].lower() for r in rows]
        existing = {u.email.lower(): u for u in User.objects.filter(email__in=emails)}
        for row in rows:
            email = row["email"].lower()
            user = existing.get(email)
            if user is not None:
                self.existing_users.add(row["id"])
            if user is None:
                values = {
                    f.name: _value(f, row.get(f.name))
                    for f in _fields(User)
                    if not f.is_relation and f.name in row
                }
                values["is_staff"] = row["id"] in chairs
                user = User(**values)
                user.set_unusable_password()
                user.save()
                auto_restore(user, values)
                self.report.change(f"{USER}#{row['id']}", "user.create", email)
            self.new_pk[USER][row["id"]] = user.pk
        known = set(
            EmailAddress.objects.filter(
                email__in=[r["email"] for r in self.models.get(EMAIL, [])]
            ).values_list("email", flat=True)
        )
        for row in self.models.get(EMAIL, []):
            if row["email"] in known:
                continue
            EmailAddress.objects.create(
                user_id=self.resolve(User, row["user"], f"{EMAIL}#{row.get('id')}.user"),
                email=row["email"],
                verified=row["verified"],
                primary=row["primary"],
            )

    def discard_files(self) -> None:
        """The transaction rolled back: remove the files its rows pointed at."""
        for storage, name in self.saved:
            storage.delete(name)

    def resolve(self, model: type[models.Model], raw: Any, where: str) -> Any:
        """This deployment's id of the archive's row `raw` of `model`, referred to at
        `where`; ArchiveDefect when the archive holds no such row."""
        if raw is None:
            return None
        if model is ContentType:
            try:
                app_label, name = str(raw).split(".")
                return ContentType.objects.get_by_natural_key(app_label, name).pk
            except (ValueError, ContentType.DoesNotExist):
                raise ArchiveDefect(where, f"refers to the unknown model {raw!r}.") from None
        try:
            return self.new_pk[_label(model)][raw]
        except (KeyError, TypeError):
            raise ArchiveDefect(
                where, f"refers to {_label(model)} #{raw}, which the archive does not hold."
            ) from None

    def file(self, raw: str, where: str) -> bytes:
        if raw not in self.files:
            raise ArchiveDefect(where, f"refers to the file {raw!r}, which the archive lacks.")
        return self.files[raw]

    def mails_as_history(self, objects: list[Any]) -> None:
        """Restored mail is history, not work: a mail the archive's deployment delivered
        stays as it was; any other (queued, held, sending, failed, waiting for a digest)
        is cancelled with a note, so no sweep, digest, release or retry here can send it.
        A key this deployment uses already (a copy of one of its own workshops) gets a
        prefix naming the copy: the row is history and is never delivered under it."""
        keys = [mail.key for mail in objects]
        taken: set[str] = set()
        for start in range(0, len(keys), 500):  # SQLite caps the variables of one query
            chunk = keys[start : start + 500]
            taken.update(OutgoingMail.objects.filter(key__in=chunk).values_list("key", flat=True))
        cancelled: Counter[str] = Counter()
        for mail in objects:
            if mail.status not in DELIVERED:
                cancelled[mail.status] += 1
                mail.last_error = RESTORED_MAIL_NOTE.format(status=mail.status)
                mail.status = MailStatus.CANCELLED
                mail.claimed_at = None
            if mail.key in taken:
                digest = hashlib.sha256(mail.key.encode()).hexdigest()[:12]
                mail.key = f"restored:{self.target_slug}:{digest}:{mail.key}"[:255]
        if cancelled:
            was = ", ".join(f"{n} {status}" for status, n in sorted(cancelled.items()))
            self.report.change(
                "workshop.OutgoingMail",
                "mail.cancel",
                f"{counted(sum(cancelled.values()), 'mail')} restored as history, "
                f"cancelled ({was})",
            )

    def restore(self, progress: Progress | None) -> Workshop:
        self.users()
        specs = _models()
        order = {label: i for i, (label, _, _) in enumerate(specs)}
        total = sum(len(self.models.get(label, [])) for label, _, _ in specs)
        done = 0
        deferred: list[tuple[models.Model, str, type[models.Model], Any, str]] = []
        for index, (label, model, _) in enumerate(specs):
            rows = self.models.get(label, [])
            if label == "reviews.Publication":
                # A person who has an account here keeps the publications they have here.
                rows = [r for r in rows if r.get("user") not in self.existing_users]
            objects = []
            for row in rows:
                obj = model()
                self.where = f"{label}#{row.get('id')}"
                for f in _fields(model):
                    raw = row.get(f.name)
                    where = f"{self.where}.{f.name}"
                    if f.is_relation:
                        target = _label(f.related_model)
                        later = target in order and order[target] >= index
                        if later and raw is not None:
                            deferred.append((obj, f.attname, f.related_model, raw, where))
                            raw = None
                        setattr(obj, f.attname, self.resolve(f.related_model, raw, where))
                    elif isinstance(f, models.FileField):
                        if raw:
                            name = f.generate_filename(obj, "restored")
                            stored = f.storage.save(name, ContentFile(self.file(raw, where)))
                            self.saved.append((f.storage, stored))
                            setattr(obj, f.attname, stored)
                    else:
                        setattr(obj, f.attname, _value(f, raw))
                if label == "workshop.Workshop" and self.slug:
                    obj.slug = self.slug
                if hasattr(obj, "target_type_id"):
                    target_model = (
                        ContentType.objects.get_for_id(obj.target_type_id).model_class()
                        if obj.target_type_id
                        else None
                    )
                    if target_model is not None and row.get("target_id") is not None:
                        deferred.append(
                            (
                                obj,
                                "target_id",
                                target_model,
                                row["target_id"],
                                f"{self.where}.target_id",
                            )
                        )
                    obj.target_id = None
                    if row.get("submission_id") is not None:
                        deferred.append(
                            (
                                obj,
                                "submission_id",
                                apps.get_model("submissions.Submission"),
                                row["submission_id"],
                                f"{self.where}.submission_id",
                            )
                        )
                    obj.submission_id = None
                objects.append(obj)
            if label == "workshop.OutgoingMail":
                self.mails_as_history(objects)
            created = model.objects.bulk_create(objects)
            for row, obj in zip(rows, created, strict=True):
                self.new_pk[label][row["id"]] = obj.pk
            auto = [
                f
                for f in _fields(model)
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            ]
            if auto and created:
                for row, obj in zip(rows, created, strict=True):
                    for f in auto:
                        setattr(obj, f.attname, _value(f, row[f.name]))
                model.objects.bulk_update(created, [f.name for f in auto], batch_size=500)
            for f in _m2m(model):
                through = getattr(model, f.name).through
                src = f.m2m_field_name() + "_id"
                dst = f.m2m_reverse_field_name() + "_id"
                through.objects.bulk_create(
                    through(
                        **{
                            src: obj.pk,
                            dst: self.resolve(
                                f.related_model, ref, f"{label}#{row.get('id')}.{f.name}"
                            ),
                        }
                    )
                    for row, obj in zip(rows, created, strict=True)
                    for ref in row.get(f.name, [])
                )
            if label in PAIRS_IN_JSON:
                papers = self.new_pk["submissions.Submission"]
                people = self.new_pk[USER]
                for obj in created:
                    mapped = {f: copy.deepcopy(getattr(obj, f)) for f in ("baseline", "result")}
                    for place in PAIRS_IN_JSON[label]:
                        _pairs_map(mapped, place, papers, people)
                    obj.baseline, obj.result = mapped["baseline"], mapped["result"]
                model.objects.bulk_update(created, ["baseline", "result"], batch_size=500)
            if label == "transfer.SourceRecord":
                for row, obj in zip(rows, created, strict=True):
                    target = ContentType.objects.get_for_id(obj.content_type_id).model_class()
                    obj.object_id = self.resolve(target, row["object_id"], f"{label}#{row['id']}")
                model.objects.bulk_update(created, ["object_id"], batch_size=500)
            if label == "reviews.ReviewVersion":
                questions = self.new_pk["reviews.ReviewQuestion"]
                for row, obj in zip(rows, created, strict=True):
                    obj.answers = {
                        str(questions.get(int(k), k)): v for k, v in row["answers"].items()
                    }
                model.objects.bulk_update(created, ["answers"], batch_size=500)
            done += len(rows)
            if progress:
                progress(done, total)
        by_model: dict[type[models.Model], list[tuple[models.Model, str]]] = defaultdict(list)
        for obj, attname, target, raw, where in deferred:
            setattr(obj, attname, self.resolve(target, raw, where))
            by_model[type(obj)].append((obj, attname))
        for model, pairs in by_model.items():
            names = sorted(
                {
                    model._meta.get_field(a).name if a not in ("target_id", "submission_id") else a
                    for _, a in pairs
                }
            )
            model.objects.bulk_update(
                list({id(o): o for o, _ in pairs}.values()), names, batch_size=500
            )
        for label, _, _ in specs:
            self.report.change(
                "workshop.json", "row.create", f"{label}: {len(self.models.get(label, []))}"
            )
        return Workshop.objects.get(pk=self.new_pk["workshop.Workshop"][1])


def auto_restore(obj: models.Model, values: dict[str, Any]) -> None:
    auto = [
        f.name
        for f in _fields(type(obj))
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    if auto:
        type(obj).objects.filter(pk=obj.pk).update(**{n: values[n] for n in auto if n in values})


class _RolledBack(Exception):
    """A dry run's way out of its transaction."""


def archive_restore(
    *,
    actor: Any,
    data: bytes,
    report: Report,
    slug: str | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
    allow_unsigned: bool = False,
) -> Workshop | None:
    """Recreate a workshop from its archive: the `transfer.restore` action.

    No browser action restores rows with their own times and history, so this writes them
    directly, in one transaction, with one `transfer.restore` activity entry. Refuses (and
    changes nothing) when the manifest does not verify, a member is damaged, this
    deployment did not sign the archive (unless `allow_unsigned`: then a warning), the slug
    is taken, a row refers to a row or file the archive lacks, or a file is over the
    workshop's upload limit. A dry run rolls back (files included). Users are matched by
    e-mail address, created without a password otherwise.

    Sends and queues no mail, ever: mails restore as history (`_Restorer.mails_as_history`:
    undelivered ones cancelled), and nothing is enqueued.
    """
    parsed = read_archive(data, report, allow_unsigned=allow_unsigned)
    if parsed is None:
        return None
    document, files = parsed
    workshops = document["models"].get("workshop.Workshop", [])
    if (
        not isinstance(workshops, list)
        or len(workshops) != 1
        or not isinstance(workshops[0], dict)
        or not isinstance(workshops[0].get("slug"), str)
    ):
        report.error("workshop.json", "The archive must hold exactly one workshop.")
        return None
    target_slug = slug or workshops[0]["slug"]
    if Workshop.objects.filter(slug=target_slug).exists():
        report.error(
            "workshop.json",
            f"A workshop with the address {target_slug!r} exists: "
            "import into a fresh deployment or choose another slug.",
        )
        return None
    limit = int(workshops[0].get("upload_limit_mb") or 0) * 1024 * 1024
    for row in document["models"].get("submissions.SubmissionFile", []):
        size = len(files.get(row.get("file") or "", b""))
        if limit and size > limit:
            report.error(row.get("file"), f"{size:,} bytes, over the workshop's upload limit.")
    if report.errors:
        return None
    restorer = _Restorer(document, files, report, slug)
    try:
        with transaction.atomic():
            workshop = restorer.restore(progress)
            activity_record(
                actor=actor,
                action="transfer.restore",
                target=workshop,
                workshop=workshop,
                summary=f"Workshop restored from an archive ({len(report.changes)} changes)",
            )
            if dry_run:
                raise _RolledBack
    except _RolledBack:
        restorer.discard_files()
        return None
    except IntegrityError as exc:
        restorer.discard_files()
        report.error("workshop.json", f"A row clashes with this deployment's data: {exc}")
        return None
    except ArchiveDefect as exc:
        restorer.discard_files()
        report.error(exc.where, exc.message)
        return None
    except (KeyError, TypeError, ValueError, DataError) as exc:
        # A row an export never writes (a missing field, a value of the wrong type):
        # named by the row being restored, never an "Internal error".
        restorer.discard_files()
        report.error(restorer.where, f"A malformed row: {type(exc).__name__}: {exc}")
        return None
    except BaseException:
        restorer.discard_files()
        raise
    return workshop


def archive_rows(workshop: Workshop) -> dict[str, list[dict[str, Any]]]:
    """The archive's rows of `workshop` without the restore's own log entry: what the
    round-trip test compares."""
    exporter = _Exporter(workshop)
    exporter.collect()
    return {
        label: [
            exporter.row(label, r)
            for r in rows
            if not (label == "workshop.Activity" and r.action.startswith("transfer."))
        ]
        for label, rows in exporter.rows.items()
    }


def files_of(data: bytes) -> Iterable[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in sorted(archive.namelist()):
            if name.startswith("files/"):
                yield name, archive.read(name)
