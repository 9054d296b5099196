"""The public web response form: one field per question, plus who and consent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms

from consultations.models import Question, QuestionKind

ANSWER_MAX_LENGTH = 5000
NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
HONEYPOT_FIELD = "website"


@dataclass(frozen=True)
class QuestionField:
    question: Question
    field: forms.BoundField

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
    name = forms.CharField(label="Your name (optional)", max_length=NAME_MAX_LENGTH, required=False)
    email = forms.EmailField(
        label="Email address (optional)",
        max_length=EMAIL_MAX_LENGTH,
        required=False,
        help_text="We will only use this to contact you about this consultation. "
        "It is never published.",
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com"
        },
    )
    notify_outcome = forms.BooleanField(
        label="Tell me about the outcome",
        required=False,
        help_text="We will email you once, when the outcome is published, then delete your "
        "email address.",
    )
    consent_to_publish = forms.BooleanField(
        label="You may publish my response (without my email address)",
        required=False,
    )
    publish_name = forms.BooleanField(
        label="Show my name with my response (otherwise it is shown as “Respondent” and a number)",
        required=False,
    )
    # Hidden from people (visually and from assistive technology); bots fill it in.
    website = forms.CharField(required=False, label="Leave this field empty")

    def __init__(self, *args, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[_field_name(question)] = self._question_field(question)
        # Questions first, then who you are, then consent.
        order = [_field_name(q) for q in questions]
        self.order_fields(order)

    @staticmethod
    def _question_field(question: Question) -> forms.Field:
        label = question.text
        required_message = {"required": f"Answer “{question.text}”"}
        if question.kind == QuestionKind.FREE_TEXT:
            return forms.CharField(
                label=label,
                help_text=question.help_text,
                required=question.required,
                max_length=ANSWER_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 5}),
                error_messages={
                    **required_message,
                    "max_length": f"Your answer must be {ANSWER_MAX_LENGTH:,} characters or fewer",
                },
            )
        choices = [(choice, choice) for choice in question.choices]
        if question.kind == QuestionKind.MULTIPLE_CHOICE:
            return DistinctMultipleChoiceField(
                label=label,
                help_text=question.help_text,
                required=question.required,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                error_messages={
                    **required_message,
                    "invalid_choice": "Select from the options given",
                },
            )
        return forms.ChoiceField(
            label=label,
            help_text=question.help_text,
            required=question.required,
            choices=choices,
            widget=forms.RadioSelect,
            error_messages={
                **required_message,
                "invalid_choice": "Select one of the options given",
            },
        )

    @property
    def question_fields(self) -> list[QuestionField]:
        return [QuestionField(q, self[_field_name(q)]) for q in self.questions]

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    def clean(self):
        cleaned = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        answered = any(cleaned.get(_field_name(q)) for q in self.questions)
        if self.questions and not answered and not self.errors:
            raise forms.ValidationError("Answer at least one question", code="no_answers")
        if cleaned.get("publish_name") and not (cleaned.get("name") or "").strip():
            self.add_error("name", "Enter your name, or untick “Show my name with my response”")
        if (
            cleaned.get("notify_outcome")
            and not cleaned.get("email")
            and "email" not in self.errors
        ):
            self.add_error(
                "email", "Enter your email address, or untick “Tell me about the outcome”"
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
