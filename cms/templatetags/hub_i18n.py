"""The language switch and the hreflang links between a page's English and Welsh versions."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import dateformat, translation
from django.utils.timezone import localtime
from django.utils.translation import pgettext
from wagtail.models import Page

register = template.Library()


@dataclass(frozen=True)
class Alternate:
    language_code: str
    name: str
    url: str
    # The same page in that language (an hreflang alternate), not only a nearby one.
    same_page: bool
    current: bool


def _page_alternate(
    request, page: Page, language_code: str, translations: dict[str, Page]
) -> tuple[str, bool]:
    """The page's translation (with the sub-route the visitor is on, e.g. respond/), or,
    when it has none, the nearest ancestor that has one."""
    page_url = page.get_url(request=request) or ""
    remainder = request.path[len(page_url) :] if request.path.startswith(page_url) else ""
    translated = translations.get(language_code)
    if translated is not None:
        return (translated.get_url(request=request) or "/") + remainder, True
    for ancestor in page.get_ancestors().live().order_by("-depth"):
        nearest = (
            ancestor.get_translations(inclusive=True)
            .live()
            .filter(locale__language_code=language_code)
            .first()
        )
        if nearest is not None and nearest.get_url(request=request):
            return nearest.get_url(request=request), False
    with translation.override(language_code):
        return ("/" if language_code == settings.LANGUAGE_CODE else f"/{language_code}/"), False


def _live_translations(page: Page) -> dict[str, Page]:
    """The page in each language it is live in, from one query (the page itself included,
    without asking for it again). Every public page draws the switch: it must be cheap."""
    translations = {page.locale.language_code: page} if page.live else {}
    # Asked of Page, not the page's own model: only the address is needed (no page type
    # here changes how its address is made), and the specific model's row (a consultation's
    # StreamFields) would cost more than the rest of the switch.
    others = (
        Page.objects.filter(translation_key=page.translation_key)
        .exclude(pk=page.pk)
        .live()
        .select_related("locale")
    )
    for other in others:
        translations.setdefault(other.locale.language_code, other)
    return translations


@register.simple_tag(takes_context=True)
def language_alternates(context) -> list[Alternate]:
    """Each language of the site, with where this page is in it."""
    request = context.get("request")
    if request is None:
        return []
    page = context.get("page")
    current = translation.get_language()
    alternates = []
    translations = _live_translations(page) if isinstance(page, Page) else {}
    for language_code, name in settings.LANGUAGES:
        if isinstance(page, Page):
            url, same_page = _page_alternate(request, page, language_code, translations)
            if same_page and request.GET:
                url = f"{url}?{request.GET.urlencode()}"
        else:
            url = translate_url(request.get_full_path(), language_code)
            same_page = True
        alternates.append(Alternate(language_code, name, url, same_page, language_code == current))
    return alternates


@register.simple_tag
def language_prefix() -> str:
    """ "/cy" on the Welsh site, "" on the English one (unprefixed), for fixed links."""
    language_code = translation.get_language()
    return "" if language_code == settings.LANGUAGE_CODE else f"/{language_code}"


@register.filter
def hub_datetime(value) -> str:
    """A moment as people read it in the active language: "5:00pm on 3 March 2026",
    "17:00 ar 3 Mawrth 2026" (the formats are translated with the page)."""
    if not value:
        return ""
    # Translators: a Django date format (docs: "date" template filter) for a moment.
    return dateformat.format(localtime(value), pgettext("date format", "g:ia \\o\\n j F Y"))


@register.filter
def hub_date(value) -> str:
    """A day as people read it in the active language: "3 March 2026", "3 Mawrth 2026"."""
    if not value:
        return ""
    # Translators: a Django date format (docs: "date" template filter) for a day.
    return dateformat.format(localtime(value), pgettext("date format", "j F Y"))


@register.filter
def translated(page):
    """The live translation of ``page`` in the active language, or the page itself."""
    if not isinstance(page, Page):
        return page
    language_code = translation.get_language()
    if page.locale.language_code == language_code:
        return page
    found = (
        page.get_translations()
        .live()
        .filter(locale__language_code=language_code)
        .specific()
        .first()
    )
    return found if found is not None else page
