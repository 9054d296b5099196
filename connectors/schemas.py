"""Validation of channel credentials at the boundary (admin form, seed file, API)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError


class _Secrets(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class XSecrets(_Secrets):
    consumer_key: str = Field(min_length=1)
    consumer_secret: str = Field(min_length=1)
    access_token: str = Field(min_length=1)
    access_token_secret: str = Field(min_length=1)
    bearer_token: str = ""


class MastodonSecrets(_Secrets):
    access_token: str = Field(min_length=1)


class BlueskySecrets(_Secrets):
    identifier: str = Field(min_length=1)
    password: str = Field(min_length=1)


SECRETS_BY_NETWORK: dict[str, type[_Secrets]] = {
    "x": XSecrets,
    "mastodon": MastodonSecrets,
    "bluesky": BlueskySecrets,
}


class InvalidCredentials(ValueError):
    """The credentials given for a channel are incomplete; the message says which keys."""


def credentials_validate(*, network: str, credentials: object) -> dict[str, str]:
    schema = SECRETS_BY_NETWORK.get(network)
    if schema is None:
        raise InvalidCredentials(f"unknown network {network!r}")
    try:
        return schema.model_validate(credentials).model_dump(exclude_defaults=False)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'credentials'}: {item['msg']}"
            for item in error.errors()
        )
        raise InvalidCredentials(f"{network} credentials are not valid: {problems}") from error


# --- Collected replies -------------------------------------------------------------------


class IncomingReplyPayload(BaseModel):
    """One reply as a backend read it off the network, checked before it reaches the record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=255)
    parent_id: str = Field(default="", max_length=255)
    root_id: str = Field(default="", max_length=255)
    author_id: str = Field(min_length=1, max_length=255)
    author_handle: str = Field(default="", max_length=255)
    author_display_name: str = Field(default="", max_length=255)
    text: str = Field(max_length=100_000)
    created_at: AwareDatetime
    edited_at: AwareDatetime | None = None
    url: str = Field(default="", max_length=1000)
    language: str = Field(default="", max_length=20)
