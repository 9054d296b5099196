"""Forms of the moderation inbox (Wagtail admin)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.http import QueryDict

from engagement.moderation.selectors import InboxFilters, consultations_moderated_by
from engagement.record.channels import channel_choices
from engagement.record.models import ModerationReason, ModerationState

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

APPROVE = "approve"
HIDE = "hide"
ACTIONS = {APPROVE: ModerationState.APPROVED, HIDE: ModerationState.HIDDEN}


def _channel_filter_choices() -> list[tuple[str, StrOrPromise]]:
    return [("", "All channels"), *channel_choices()]


class InboxFilterForm(forms.Form):
    """The inbox's filters; by default what is waiting for a moderator."""

    q = forms.CharField(
        label="Search the original text or a reference", required=False, max_length=200
    )
    consultation: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All consultations"
    )
    channel = forms.ChoiceField(choices=_channel_filter_choices, required=False)
    state = forms.ChoiceField(
        choices=[("", "All states"), *ModerationState.choices],
        required=False,
        initial=ModerationState.PENDING,
    )
    flagged = forms.ChoiceField(
        label="Abuse screen",
        choices=[("", "Flagged or not"), ("yes", "Flagged"), ("no", "Not flagged")],
        required=False,
    )
    received_from = forms.DateField(
        label="Received from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label="Received to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data=None, *, user, **kwargs):
        # With no query at all the inbox opens on what is waiting: pending responses.
        if data is not None and not any(key in data for key in self.base_fields):
            data = {"state": ModerationState.PENDING}
        super().__init__(data, **kwargs)
        consultation = cast(forms.ModelChoiceField, self.fields["consultation"])
        consultation.queryset = consultations_moderated_by(user=user)

    def clean(self):
        cleaned = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and end < start:
            self.add_error("received_to", "The end date must be on or after the start date.")
        return cleaned

    def filters(self) -> InboxFilters:
        if not self.is_valid():
            return InboxFilters(state=ModerationState.PENDING)
        data = self.cleaned_data
        return InboxFilters(
            consultation_id=data["consultation"].pk if data["consultation"] else None,
            channel=data["channel"],
            state=data["state"],
            received_from=data["received_from"],
            received_to=data["received_to"],
            flagged={"yes": True, "no": False}.get(data["flagged"]),
            query=data["q"].strip(),
        )


class ModerationActionForm(forms.Form):
    """Approve, or hide with a reason from the fixed list, one or many responses."""

    action = forms.ChoiceField(choices=[(APPROVE, "Approve"), (HIDE, "Hide")])
    reason = forms.ChoiceField(
        label="Reason for hiding",
        choices=[("", "Choose a reason"), *ModerationReason.choices],
        required=False,
    )
    note = forms.CharField(
        label="Note for the audit trail (optional)",
        required=False,
        max_length=1000,
        widget=forms.TextInput,
    )

    def clean(self):
        cleaned = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if cleaned.get("action") == HIDE and not cleaned.get("reason"):
            self.add_error("reason", "Choose why the response is hidden.")
        if cleaned.get("action") == APPROVE:
            cleaned["reason"] = ""
        return cleaned

    @property
    def to_state(self) -> str:
        return ACTIONS[self.cleaned_data["action"]]


class BulkModerationForm(ModerationActionForm):
    """The action for the responses ticked in the inbox (``response`` checkboxes)."""

    def clean(self):
        cleaned = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        try:
            ids = [int(value) for value in cast(QueryDict, self.data).getlist("response")]
        except ValueError:
            raise forms.ValidationError("The selection was not understood; try again.") from None
        if not ids:
            raise forms.ValidationError("Select at least one response.")
        cleaned["response_ids"] = ids
        return cleaned


class RedactFurtherForm(forms.Form):
    published_text = forms.CharField(
        label="Published text",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Remove words, or replace them with a marker such as [name removed]. "
        "You cannot add or change words.",
    )
    note = forms.CharField(label="Why (for the audit trail)", max_length=1000)
