"""The service's name in the language a page, email or feed is written in.

A setting per deployment, not a translatable string: each hub has its own name (a
department may call it something else), and the Welsh one is chosen by whoever runs it
(``HUB_SITE_NAME`` and ``HUB_SITE_NAME_CY``; docs/adr/0018).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

WELSH = "cy"


def service_name(*, language_code: str | None = None) -> str:
    """The service's name in ``language_code`` (the active language by default): the
    Welsh name in Welsh, the English name in any other."""
    if language_is_welsh(language_code=language_code):
        return settings.HUB_SITE_NAME_CY
    return settings.WAGTAIL_SITE_NAME


def language_is_welsh(*, language_code: str | None = None) -> bool:
    """Whether ``language_code`` (the active language by default) is Welsh ("cy", "cy-gb")."""
    language = language_code or translation.get_language() or settings.LANGUAGE_CODE
    return language.split("-")[0].lower() == WELSH
