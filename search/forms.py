"""The public search forms (GET): words, filters, sort, page."""

from __future__ import annotations

import re
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from engagement.analysis.selectors import SENTIMENT_LABELS
from engagement.record.channels import channel_choices
from search.selectors import ResponseFilters, Sort

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# A language tag as responses record it ("en", "cy", "en-GB").
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")


class MonthsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        for item in values:
            if not MONTH.match(str(item)):
                raise ValidationError(_("Choose a month from the list"), code="invalid_month")
        return tuple(dict.fromkeys(str(item) for item in values))


class LanguagesField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        for item in values:
            if not LANGUAGE.match(str(item)):
                raise ValidationError(_("Choose a language from the list"), code="invalid_language")
        return tuple(dict.fromkeys(str(item) for item in values))


class ResponseSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search responses"),
        required=False,
        max_length=200,
        error_messages={"max_length": _("Search words must be 200 characters or fewer")},
    )
    channel = forms.MultipleChoiceField(choices=channel_choices, required=False)
    question = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)
    month = MonthsField(required=False)
    theme = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=(),
        required=False,
        error_messages={
            "invalid_choice": _("Choose a theme from the list"),
            "invalid_list": _("Choose a theme from the list"),
        },
    )
    sentiment = forms.MultipleChoiceField(
        choices=SENTIMENT_LABELS,
        required=False,
        error_messages={
            "invalid_choice": _("Choose a sentiment from the list"),
            "invalid_list": _("Choose a sentiment from the list"),
        },
    )
    language = LanguagesField(required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=Sort.CHOICES, required=False)

    def __init__(self, *args, questions=(), themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["question"]).choices = [
            (str(q.pk), q.text) for q in questions
        ]
        # Live themes only: a merged theme's responses are found under its survivor.
        cast(forms.ChoiceField, self.fields["theme"]).choices = [
            (str(theme.pk), theme.display_label) for theme in themes
        ]

    def filters(self) -> ResponseFilters:
        """The valid part of the input; a field with an error is left out (and reported)."""
        data = self.cleaned_data if self.is_bound else {}
        return ResponseFilters(
            q=(data.get("q") or "").strip(),
            channels=tuple(data.get("channel") or ()),
            question_ids=tuple(data.get("question") or ()),
            months=tuple(data.get("month") or ()),
            theme_ids=tuple(data.get("theme") or ()),
            sentiments=tuple(data.get("sentiment") or ()),
            languages=tuple(data.get("language") or ()),
            sort=data.get("sort") or "",
        )


class SiteSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search consultations and responses"), required=False, max_length=200
    )
