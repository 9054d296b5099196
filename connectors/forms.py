"""The admin form for a channel account: credentials typed in once, stored encrypted, never shown again."""

from __future__ import annotations

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from connectors.registry import connector_class, connector_names, credentials_validate
from connectors.schemas import InvalidCredentials


def secret_fields() -> dict[str, forms.CharField]:
    """One field per secret a registered network needs, labelled from its backend's schema.

    A name several networks use (an access token) is one field: only the chosen
    network's secrets are kept.
    """
    titles: dict[str, list[str]] = {}
    hidden: dict[str, bool] = {}
    for network in connector_names():
        for name, info in connector_class(network).secrets_schema.model_fields.items():
            titles.setdefault(name, []).append(info.title or name.replace("_", " "))
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            hidden[name] = hidden.get(name, True) and extra.get("secret", True) is not False
    fields = {}
    for name, labels in titles.items():
        label = " / ".join(labels)
        if hidden[name]:
            fields[name] = forms.CharField(
                label=label,
                required=False,
                strip=True,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                help_text="Leave blank to keep what is stored.",
            )
        else:
            fields[name] = forms.CharField(label=label, required=False, strip=True)
    return fields


class ChannelAccountForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        network = cleaned.get("network")
        if network not in connector_names():
            return cleaned
        typed = {name: cleaned.get(name) for name in SECRET_FIELDS if cleaned.get(name)}
        stored = {}
        if self.instance.pk and self.instance.network == network:
            stored = {k: v for k, v in self.instance.credentials.items() if k != "session"}
        try:
            self._credentials = credentials_validate(
                network=network, credentials={**stored, **typed}
            )
        except InvalidCredentials as error:
            self.add_error(None, str(error))
        return cleaned

    def save(self, commit=True):
        channel = super().save(commit=False)
        channel.set_credentials(self._credentials)
        if commit:
            channel.save()
            self.save_m2m()
        return channel


# Built once the settings are read (the form is imported by the admin hooks, after setup).
SECRET_FIELDS = secret_fields()
ChannelAccountForm.base_fields.update(SECRET_FIELDS)
ChannelAccountForm.declared_fields.update(SECRET_FIELDS)
