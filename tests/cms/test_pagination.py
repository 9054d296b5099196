from django.core.paginator import Paginator
from django.template import Context, Template

PAGINATION = Template("{% load hub_pagination %}{% govuk_pagination page query %}")


def render(page_number, *, query="", items=300, per_page=10):
    page = Paginator(list(range(items)), per_page).page(page_number)
    return PAGINATION.render(Context({"page": page, "query": query}))


def test_pagination_elides_around_the_current_page_not_the_first():
    html = render(17)

    assert 'aria-label="Page 17" aria-current="page">17<' in html
    assert 'aria-label="Page 16">16<' in html and 'aria-label="Page 18">18<' in html
    assert 'aria-label="Page 1">1<' in html and 'aria-label="Page 30">30<' in html
    assert 'aria-label="Page 5"' not in html
    assert html.count("govuk-pagination__item--ellipses") == 2


def test_pagination_links_keep_the_other_query_parameters():
    html = render(2, query="status=open&topic=transport")

    assert 'href="?status=open&amp;topic=transport&amp;page=3" rel="next"' in html
    assert 'href="?status=open&amp;topic=transport&amp;page=1" rel="prev"' in html


def test_a_single_page_needs_no_pagination():
    assert render(1, items=5).strip() == ""
