"""The report of an import: what it would change or did change, and every error, by line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Progress = Callable[[int, int], None]


class ImportRefused(Exception):
    """Bad input: the import changes nothing; `report` names every problem by line."""

    def __init__(self, report: Report) -> None:
        super().__init__("; ".join(f"{e['line']}: {e['message']}" for e in report.errors[:5]))
        self.report = report


@dataclass
class Report:
    """Collects errors and changes. `line` is a line number (CSV: the line in the file,
    header = 1), a record number (JSON: `record 3`) or a place in an archive."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    # What became of each field of the other system's records: (kind, field, fate) -> how
    # many values. Fates say "mapped to …", "kept for the chairs: …" or "dropped: …".
    fates: Counter = field(default_factory=Counter)
    # How the scores of each field of the other form become ours: {"field", "question",
    # "table": [[theirs, ours], ...], "identity", "confirmed"}; a mapping that is not
    # confirmed is a proposal the chair confirms (or corrects) after the dry run.
    mappings: list[dict[str, Any]] = field(default_factory=list)

    def error(self, line: Any, message: str) -> None:
        self.errors.append({"line": line, "message": message})

    def warn(self, line: Any, message: str) -> None:
        self.warnings.append({"line": line, "message": message})

    def change(self, line: Any, action: str, obj: str) -> None:
        self.changes.append({"line": line, "action": action, "object": obj})

    def field(self, kind: str, name: str, fate: str, count: int = 1) -> None:
        """One more value of the other system's field `name` (of a `kind` of record) went
        where `fate` says."""
        self.fates[(kind, name, fate)] += count

    def mapping(self, name: str, question: str, table: dict[int, int], *, confirmed: bool) -> None:
        self.mappings.append(
            {
                "field": name,
                "question": question,
                "table": [[k, v] for k, v in sorted(table.items())],
                "identity": all(k == v for k, v in table.items()),
                "confirmed": confirmed,
            }
        )

    def score_maps(self) -> dict[str, dict[str, int]]:
        """The mappings as a real run takes them (`options["score_maps"]`): what the chair
        confirms by confirming the dry run."""
        return {
            m["field"].lower(): {str(k): v for k, v in m["table"]}
            for m in self.mappings
            if not m["identity"]
        }

    def fields(self) -> list[dict[str, Any]]:
        return [
            {"kind": kind, "field": name, "fate": fate, "count": n}
            for (kind, name, fate), n in sorted(self.fates.items())
        ]

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return dict(Counter(c["action"] for c in self.changes))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "errors": self.errors,
            "warnings": self.warnings,
            "changes": self.changes,
            "counts": self.counts(),
            "fields": self.fields(),
            "mappings": self.mappings,
        }

    def refuse_if_errors(self) -> None:
        if self.errors:
            raise ImportRefused(self)
