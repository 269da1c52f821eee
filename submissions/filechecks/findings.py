"""What the deep check found, in the words the chairs read (admin and chair mails alike).

`check_findings(report)` turns a stored `check_report` into `(what, detail)` pairs:
identifying metadata (stripped from the reviewer copy), hidden text, anonymity hits (each
once, with page and snippet), then warnings and errors. Reviewers never see these; the
authors see only their anonymity hits (on the paper page).
"""

from __future__ import annotations

from typing import Any

HIDDEN_KINDS = {
    "invisible": "invisible text",
    "white": "white text",
    "tiny": "tiny text",
    "offpage": "text outside the page",
    "injection": "instructions aimed at LLM reviewers",
}


def check_findings(report: dict[str, Any] | None, *, limit: int = 20) -> list[tuple[str, str]]:
    """Everything a chair must know about one checked file, most important first."""
    report = report or {}
    out: list[tuple[str, str]] = []
    for hit in report.get("metadata_hits", []):
        out.append(
            (
                f"identifying metadata ({hit.get('field', '?')}), stripped from the reviewer copy",
                str(hit.get("text", "")),
            )
        )
    for hit in report.get("hidden_text", [])[:limit]:
        kind = HIDDEN_KINDS.get(hit.get("kind"), str(hit.get("kind")))
        out.append((f"hidden text: {kind}, page {hit.get('page')}", str(hit.get("text", ""))))
    seen = set()
    for hit in report.get("anonymity_hits", []):
        key = (hit.get("page"), hit.get("text"))
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > limit:
            break
        out.append((f"author named in the text, page {hit.get('page')}", str(hit.get("text", ""))))
    for warning in report.get("warnings", []):
        out.append(("note", str(warning)))
    if report.get("error"):
        out.append(("the check could not finish", str(report["error"])))
    return out


def authors_summary(report: dict[str, Any] | None) -> str:
    """The history line the authors read: never the hidden-text findings (chairs only)."""
    report = report or {}
    pages = sorted({h.get("page") for h in report.get("anonymity_hits", [])})
    if pages:
        return "automatic check: author names found in the text on page " + ", ".join(
            str(p) for p in pages[:10]
        )
    return "automatic check done"
