"""Validation of channel credentials at the boundary (admin form, seed file, API)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError


class SecretsSchema(BaseModel):
    """What one network needs in ``ChannelCredentials.secrets``; each backend declares its own
    as ``Connector.secrets_schema``. A field's ``title`` labels it in the admin form, and
    ``json_schema_extra={"secret": False}`` shows what is typed there (an identifier)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class InvalidCredentials(ValueError):
    """The credentials given for a channel are incomplete; the message says which keys."""


def validation_message(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'payload'}: {item['msg']}"
        for item in error.errors()
    )


def secrets_validate(
    *, schema: type[SecretsSchema], label: str, credentials: object
) -> dict[str, str]:
    """The credentials as ``schema`` keeps them, or InvalidCredentials naming what is wrong."""
    try:
        return schema.model_validate(credentials).model_dump(exclude_defaults=False)
    except ValidationError as error:
        raise InvalidCredentials(
            f"{label} credentials are not valid: {validation_message(error)}"
        ) from error


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
    legal_hold: str = Field(default="", max_length=1000)
