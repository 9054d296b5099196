from django import template

register = template.Library()


@register.inclusion_tag("includes/pagination.html")
def govuk_pagination(page, query=""):
    """GOV.UK pagination for a Django ``Page``, keeping the other query parameters.

    The page range is elided around the current page, which a template cannot ask
    ``get_elided_page_range`` for on its own.
    """
    return {
        "page": page,
        "query": query,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
    }
