"""The admin form for a channel account: credentials typed in once, stored encrypted, never shown again."""

from __future__ import annotations

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from connectors.schemas import SECRETS_BY_NETWORK, InvalidCredentials, credentials_validate

SECRET_FIELDS = {
    "consumer_key": "X API key (consumer key)",
    "consumer_secret": "X API key secret (consumer secret)",
    "access_token": "Access token (X or Mastodon)",
    "access_token_secret": "X access token secret",
    "bearer_token": "X bearer token (optional)",
    "identifier": "Bluesky handle or email",
    "password": "Bluesky app password",
}


def _secret_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Leave blank to keep what is stored.",
    )


class ChannelAccountForm(WagtailAdminModelForm):
    consumer_key = _secret_field(SECRET_FIELDS["consumer_key"])
    consumer_secret = _secret_field(SECRET_FIELDS["consumer_secret"])
    access_token = _secret_field(SECRET_FIELDS["access_token"])
    access_token_secret = _secret_field(SECRET_FIELDS["access_token_secret"])
    bearer_token = _secret_field(SECRET_FIELDS["bearer_token"])
    identifier = forms.CharField(
        label=SECRET_FIELDS["identifier"], required=False, help_text="Bluesky only."
    )
    password = _secret_field(SECRET_FIELDS["password"])

    def clean(self):
        cleaned = super().clean()
        network = cleaned.get("network")
        if network not in SECRETS_BY_NETWORK:
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
