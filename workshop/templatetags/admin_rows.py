from django import template

from ..admin_rows import one_loop_results

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html")
def one_loop_result_list(cl):  # type: ignore[no-untyped-def]
    """The changelist's table, its rows printed by one loop (`workshop.admin_rows`)."""
    return one_loop_results(cl)
