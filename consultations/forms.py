"""The public web response form: one field per question, plus who and consent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consultations.models import Question, QuestionKind

ANSWER_MAX_LENGTH = 5000
NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
HONEYPOT_FIELD = "website"


@dataclass(frozen=True)
class QuestionField:
    question: Question
    field: forms.BoundField
    # The words the visitor reads: the question's translation, or the question itself.
    shown: Question | None = None

    @property
    def text(self) -> str:
        return (self.shown or self.question).text

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def first_input_id(self) -> str:
        """Where the error summary links to: the textarea, or the first radio/checkbox."""
        if self.kind == QuestionKind.FREE_TEXT:
            return self.field.id_for_label
        return f"{self.field.auto_id}_0"


class DistinctMultipleChoiceField(forms.MultipleChoiceField):
    """Each option at most once, in the order first given: a crafted POST may repeat one
    option thousands of times, which the form would otherwise accept as it came."""

    def clean(self, value):
        return list(dict.fromkeys(super().clean(value)))


def _field_name(question: Question) -> str:
    return f"question_{question.pk}"


class ConsultationResponseForm(forms.Form):
    name = forms.CharField(
        label=_("Your name (optional)"), max_length=NAME_MAX_LENGTH, required=False
    )
    email = forms.EmailField(
        label=_("Email address (optional)"),
        max_length=EMAIL_MAX_LENGTH,
        required=False,
        help_text=_(
            "We will only use this to contact you about this consultation. It is never published."
        ),
        error_messages={
            "invalid": _("Enter an email address in the correct format, like name@example.com")
        },
    )
    notify_outcome = forms.BooleanField(
        label=_("Tell me about the outcome"),
        required=False,
        help_text=_(
            "We will email you once, when the outcome is published, then delete your email address."
        ),
    )
    consent_to_publish = forms.BooleanField(
        label=_("You may publish my response (without my email address)"),
        required=False,
    )
    publish_name = forms.BooleanField(
        label=_(
            "Show my name with my response (otherwise it is shown as “Respondent” and a number)"
        ),
        required=False,
    )
    # Hidden from people (visually and from assistive technology); bots fill it in.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def __init__(
        self,
        *args,
        questions: list[Question],
        translated_questions: dict[UUID, Question] | None = None,
        **kwargs,
    ):
        """``questions`` are the consultation's own; ``translated_questions`` (by translation
        key) give the words of a translated page. Answers keep the consultation's own
        values, so every language's answers count together."""
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.translated_questions = translated_questions or {}
        for question in questions:
            self.fields[_field_name(question)] = self._question_field(
                question, self.translated_questions.get(question.translation_key)
            )
        # Questions first, then who you are, then consent.
        order = [_field_name(q) for q in questions]
        self.order_fields(order)

    @staticmethod
    def _choices(question: Question, shown: Question) -> list[tuple[str, str]]:
        """(recorded value, label): the consultation's own option, in the page's words. A
        translation with a different number of options is not trusted line by line."""
        values = question.choices
        if question.kind == QuestionKind.AGREEMENT_SCALE:
            return [(value, gettext(value)) for value in values]
        labels = shown.choices if shown.kind == question.kind else []
        if len(labels) != len(values):
            labels = values
        return list(zip(values, labels, strict=True))

    @classmethod
    def _question_field(cls, question: Question, translated: Question | None) -> forms.Field:
        shown = translated or question
        label = shown.text
        required_message = {"required": gettext("Answer “%(question)s”") % {"question": label}}
        if question.kind == QuestionKind.FREE_TEXT:
            return forms.CharField(
                label=label,
                help_text=shown.help_text,
                required=question.required,
                max_length=ANSWER_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 5}),
                error_messages={
                    **required_message,
                    "max_length": gettext("Your answer must be %(limit)s characters or fewer")
                    % {"limit": f"{ANSWER_MAX_LENGTH:,}"},
                },
            )
        choices = cls._choices(question, shown)
        if question.kind == QuestionKind.MULTIPLE_CHOICE:
            return DistinctMultipleChoiceField(
                label=label,
                help_text=shown.help_text,
                required=question.required,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                error_messages={
                    **required_message,
                    "invalid_choice": gettext("Select from the options given"),
                },
            )
        return forms.ChoiceField(
            label=label,
            help_text=shown.help_text,
            required=question.required,
            choices=choices,
            widget=forms.RadioSelect,
            error_messages={
                **required_message,
                "invalid_choice": gettext("Select one of the options given"),
            },
        )

    @property
    def question_fields(self) -> list[QuestionField]:
        return [
            QuestionField(q, self[_field_name(q)], self.translated_questions.get(q.translation_key))
            for q in self.questions
        ]

    def question_texts(self) -> dict[int, str]:
        """Question id → its words as the respondent read them (for the response's text)."""
        return {qf.question.pk: qf.text for qf in self.question_fields}

    def choice_labels(self) -> dict[str, str]:
        """Recorded option → the words the respondent chose it by."""
        labels: dict[str, str] = {}
        for name in (_field_name(q) for q in self.questions):
            for value, label in getattr(self.fields[name], "choices", ()):
                labels[str(value)] = str(label)
        return labels

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    def clean(self):
        cleaned = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        answered = any(cleaned.get(_field_name(q)) for q in self.questions)
        if self.questions and not answered and not self.errors:
            raise forms.ValidationError(_("Answer at least one question"), code="no_answers")
        if cleaned.get("publish_name") and not (cleaned.get("name") or "").strip():
            self.add_error("name", _("Enter your name, or untick “Show my name with my response”"))
        if (
            cleaned.get("notify_outcome")
            and not cleaned.get("email")
            and "email" not in self.errors
        ):
            self.add_error(
                "email", _("Enter your email address, or untick “Tell me about the outcome”")
            )
        return cleaned

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) pairs for the GOV.UK error summary, in page order."""
        links = []
        by_name = {_field_name(qf.question): qf for qf in self.question_fields}
        for message in self.non_field_errors():
            first = self.question_fields[0].first_input_id if self.questions else "id_name"
            links.append((first, str(message)))
        for name in self.fields:
            if name not in self.errors:
                continue
            anchor = by_name[name].first_input_id if name in by_name else self[name].id_for_label
            links.extend((anchor, str(message)) for message in self.errors[name])
        return links

    def answers_given(self) -> dict[int, str | list[str]]:
        """Question id → the validated answer (text, an option or a list of options)."""
        return {
            question.pk: value
            for question in self.questions
            if (value := self.cleaned_data.get(_field_name(question)))
        }
