"""Changelists whose rows are printed by one template loop (issue 12).

Django's changelist renders every cell through `items_for_result` (a field lookup, a
display function, a widget template for the action checkbox): at 100 rows of 9 cells that is
most of the request. An admin mixing in `OneLoopRows` writes each row's cells itself, in
`row_cells(obj, change_url)`, escaping every database text once; headers, sorting, filters,
search, pagination and actions stay the changelist's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_list import result_headers
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

CHECKBOX = (
    '<td class="action-checkbox"><input type="checkbox" name="{name}" value="{pk}" '
    'class="action-select" aria-label="Select this object for an action - {label}"></td>'
)


class OneLoopRows:
    """Mix into a ModelAdmin; define `row_cells` (the cells of `list_display`, in order,
    as one HTML string whose every value is escaped or a number)."""

    change_list_template = "admin/one_loop_change_list.html"
    show_full_result_count = False  # one COUNT per page, not two

    def row_cells(self, obj: Any, change_url: str) -> str:
        raise NotImplementedError

    def row_label(self, obj: Any) -> str:
        return str(obj)


def one_loop_results(cl: Any) -> dict[str, Any]:
    """The context of `admin/change_list_results.html`: the changelist's own headers, and
    each row as one ready cell string (so the template's loop prints one value per row)."""
    headers = list(result_headers(cl))
    admin = cl.model_admin
    with_checkbox = "action_checkbox" in cl.list_display
    change = cl.url_for_result  # reverse() per row is the slow part: derive from the first
    rows: list[list[SafeString]] = []
    template = ""
    for obj in cl.result_list:
        if not template:
            first = change(obj)
            template = first.replace(f"/{obj.pk}/", "/{pk}/", 1)
        url = template.replace("{pk}", str(obj.pk))
        cells = admin.row_cells(obj, url)
        if with_checkbox:
            cells = (
                CHECKBOX.format(
                    name=helpers.ACTION_CHECKBOX_NAME, pk=obj.pk, label=escape(admin.row_label(obj))
                )
                + cells
            )
        rows.append([mark_safe(cells)])  # every value in it is escaped by `row_cells`
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": rows,
    }
