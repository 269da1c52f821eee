"""Iterative, cycle-safe traversal of a pypdf object graph.

PDF object graphs are arbitrary directed graphs: hostile files contain reference cycles,
absurd nesting and millions of objects.  The walker therefore uses an explicit stack (no
recursion), remembers every indirect reference and container it has visited, and stops with
``WalkBudgetExceeded`` once ``max_nodes`` containers have been seen.  Stream *data* is never
decoded here; only stream dictionaries are inspected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

Container = DictionaryObject | ArrayObject
SkipKey = Callable[[DictionaryObject, str], bool]
_MAX_PATH = 8


class WalkBudgetExceeded(Exception):
    """The object graph has more containers than the caller is willing to inspect."""


@dataclass(frozen=True)
class Visit:
    """One container reached by the walk, with a readable location for messages."""

    obj: Container
    label: str  # e.g. "page 3" or "document catalog"
    path: tuple[str, ...]  # keys / indexes from the root, e.g. ("/Annots", "[0]", "/A")

    def where(self, key: str = "") -> str:
        """Human-readable location such as ``page 3 (/Annots[0]/A)``, plus ``key`` if given."""
        text = "".join(self.path) + key
        return f"{self.label} ({text})" if text else self.label


def _extend(path: tuple[str, ...], part: str) -> tuple[str, ...]:
    """Append to a path, keeping only its tail so long /Next chains stay O(1) per step."""
    new = (*path, part)
    return new if len(new) <= _MAX_PATH else ("…", *new[-(_MAX_PATH - 1) :])


def resolve(obj: PdfObject | None) -> PdfObject | None:
    """Resolve an indirect reference (one level), returning ``None`` for dangling ones."""
    if isinstance(obj, IndirectObject):
        return obj.get_object()
    return obj


def walk(
    roots: Iterable[tuple[PdfObject, str]],
    *,
    max_nodes: int,
    skip_key: SkipKey | None = None,
) -> Iterator[Visit]:
    """Yield every dictionary/array reachable from ``roots`` exactly once.

    ``roots`` are ``(object, label)`` pairs; each is walked depth-first in order, sharing one
    visited set, so an object reachable from several roots is reported under the first.
    ``skip_key(dict, key)`` can prune edges (e.g. ``/Parent`` back-links of page nodes).
    """
    refs: set[tuple[int, int]] = set()
    seen_ids: set[int] = set()
    count = 0
    for root, label in roots:
        stack: list[tuple[PdfObject, tuple[str, ...]]] = [(root, ())]
        while stack:
            item, path = stack.pop()
            if isinstance(item, IndirectObject):
                key = (item.idnum, item.generation)
                if key in refs:
                    continue
                refs.add(key)
                item = item.get_object()
            if not isinstance(item, (DictionaryObject, ArrayObject)) or id(item) in seen_ids:
                continue
            seen_ids.add(id(item))
            count += 1
            if count > max_nodes:
                raise WalkBudgetExceeded(f"more than {max_nodes} objects")
            yield Visit(item, label, path)
            if isinstance(item, DictionaryObject):
                children = [
                    (value, _extend(path, str(k)))
                    for k, value in item.items()
                    if skip_key is None or not skip_key(item, str(k))
                ]
            else:
                children = [(value, _extend(path, f"[{i}]")) for i, value in enumerate(item)]
            for child in reversed(children):
                if isinstance(child[0], (IndirectObject, DictionaryObject, ArrayObject)):
                    stack.append(child)
