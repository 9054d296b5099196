"""Seeding the demo's channel accounts from the sandbox command's credentials file.

``python manage.py sandbox --seed-accounts --credentials-file F`` writes F;
``seed_demo`` (with ``HUB_SANDBOX_CREDENTIALS=F``) turns it into one channel per
network for the demo department, linked to the demo consultation. The sandboxes
start empty with new credentials each time, so running this again updates the
stored credentials in place.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from pydantic import BaseModel, ConfigDict, ValidationError

from connectors.models import ChannelAccount, CollectionState, ConsultationChannel, Delivery
from connectors.registry import connector_names
from connectors.services import (
    channel_account_create,
    channel_account_set_credentials,
    delivery_schedule_for_consultation,
)


class _SandboxAccount(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    handle: str
    display_name: str = ""


class _SandboxEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")
    base_url: str
    account: _SandboxAccount
    credentials: dict[str, str]


class SandboxCredentialsError(ValueError):
    """The credentials file is missing or not in the sandbox command's format."""


def read_sandbox_credentials(path: Path) -> dict[str, _SandboxEntry]:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise SandboxCredentialsError(f"{path} does not exist (is the sandbox running?)") from error
    except json.JSONDecodeError as error:
        raise SandboxCredentialsError(f"{path} is not JSON: {error}") from error
    if not isinstance(raw, dict):
        raise SandboxCredentialsError(f"{path} must hold a JSON object keyed by network")
    entries = {}
    known = connector_names()
    for network, entry in raw.items():
        if network not in known:
            continue
        try:
            entries[network] = _SandboxEntry.model_validate(entry)
        except ValidationError as error:
            raise SandboxCredentialsError(
                f"{path}: the {network} entry is not valid: {error}"
            ) from error
    return entries


@transaction.atomic
def channel_accounts_seed_from_sandbox(*, department, consultation, path: Path) -> list[str]:
    """Create or refresh the demo department's sandbox channels; returns lines to report."""
    report = []
    for network, entry in read_sandbox_credentials(path).items():
        channel = ChannelAccount.objects.filter(
            department=department, network=network, base_url=entry.base_url
        ).first()
        if channel is None:
            channel = channel_account_create(
                department=department,
                network=network,
                handle=entry.account.handle,
                base_url=entry.base_url,
                display_name=entry.account.display_name,
                account_id=entry.account.id,
                credentials=entry.credentials,
            )
            verb = "Created"
        else:
            channel.handle = entry.account.handle
            channel.account_id = entry.account.id
            channel.last_error = ""
            channel.save(update_fields=["handle", "account_id", "last_error", "updated_at"])
            # New sandbox, new credentials; a stored session is dropped with them.
            channel_account_set_credentials(channel=channel, credentials=entry.credentials)
            # A restarted sandbox starts empty: the posts of earlier deliveries (and the
            # collection cursors among them) are gone, so the demo announces afresh.
            Delivery.objects.filter(consultation_id=consultation.pk, channel=channel).delete()
            CollectionState.objects.filter(channel=channel).delete()
            verb = "Refreshed"
        _, linked = ConsultationChannel.objects.get_or_create(page=consultation, channel=channel)
        report.append(
            f"{verb} channel {channel}" + (" (linked to the demo consultation)" if linked else "")
        )
    if consultation.live and report:
        # Announce on the sandboxes, so there is something for demo citizens to reply to.
        delivery_schedule_for_consultation(page=consultation)
        report.append("Scheduled the demo consultation's announcement on its channels")
    return report
