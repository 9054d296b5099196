"""The demo on the sandbox networks: channels, the announcement, citizens' replies.

``python manage.py sandbox --seed-accounts --credentials-file F`` writes F;
``seed_demo`` (with ``HUB_SANDBOX_CREDENTIALS=F``) turns it into one channel per
network for the demo department, linked to the demo consultation. The sandboxes
start empty with new credentials each time, so running this again updates the
stored credentials in place.

Then, with the sandboxes running, the demo announces the consultation on them,
has citizens reply there (each network's sandbox module says what they write:
``NetworkApi.demo_replies``), and collects the replies, so the demo's record comes
in the way every real reply does: through collection, redacted and screened, and
still there when the deletion sweep looks for it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import requests
from django.db import transaction
from pydantic import BaseModel, ConfigDict, ValidationError

from connectors import outbound
from connectors.collection import replies_collect
from connectors.exceptions import ConnectorError
from connectors.models import (
    ChannelAccount,
    CollectionState,
    ConsultationChannel,
    Delivery,
    DeliveryKind,
    DeliveryPost,
    DeliveryStatus,
)
from connectors.registry import connector_names, network_label, sandbox_names
from connectors.services import (
    channel_account_create,
    channel_account_set_credentials,
    delivery_schedule_for_consultation,
    delivery_send,
)
from engagement.record.models import Response

logger = logging.getLogger(__name__)


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
        # The demo department has one channel per network, wherever its sandbox listens now.
        channel = (
            ChannelAccount.objects.filter(department=department, network=network)
            .order_by("pk")
            .first()
        )
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
        elif _same_sandbox(channel, entry):
            verb = "Already there:"
        else:
            channel.handle = entry.account.handle
            channel.account_id = entry.account.id
            channel.base_url = entry.base_url
            channel.last_error = ""
            channel.save(
                update_fields=["handle", "account_id", "base_url", "last_error", "updated_at"]
            )
            # New sandbox, new credentials; a stored session is dropped with them.
            channel_account_set_credentials(channel=channel, credentials=entry.credentials)
            # A restarted sandbox starts empty: the posts of earlier deliveries (and the
            # collection cursors among them) are gone, so the demo announces afresh.
            Delivery.objects.filter(consultation_id=consultation.pk, channel=channel).delete()
            CollectionState.objects.filter(channel=channel).delete()
            # So are the replies collected from it. Kept, the deletion sweep would find none
            # of them and record each as withdrawn by its author, which nobody did: the
            # demo's record of that sandbox goes with it (the demo posts its replies again).
            removed, _ = Response.objects.filter(
                consultation_id=consultation.pk, channel=network
            ).delete()
            verb = "Refreshed"
            if removed:
                report.append(f"Removed the responses collected from the earlier {network} sandbox")
        _, linked = ConsultationChannel.objects.get_or_create(page=consultation, channel=channel)
        report.append(
            f"{verb} channel {channel}" + (" (linked to the demo consultation)" if linked else "")
        )
    if consultation.live and report:
        # Announce on the sandboxes, so there is something for demo citizens to reply to:
        # in English, and in each language the consultation has been translated into.
        delivery_schedule_for_consultation(page=consultation)
        for translated in consultation.get_translations().live().specific():
            delivery_schedule_for_consultation(page=translated)
        report.append("Scheduled the demo consultation's announcement on its channels")
    return report


def _same_sandbox(channel: ChannelAccount, entry: _SandboxEntry) -> bool:
    """Whether the channel already holds this sandbox's address and credentials (the
    sandbox still runs)."""
    stored = channel.credentials
    return channel.base_url.rstrip("/") == entry.base_url.rstrip("/") and all(
        stored.get(key) == value for key, value in entry.credentials.items()
    )


def _sandbox_links(consultation) -> list[ChannelAccount]:
    """The consultation's channels on networks that have a sandbox, in registry order."""
    with_sandbox = sandbox_names()
    channels = [
        link.channel
        for link in ConsultationChannel.objects.filter(page=consultation)
        .select_related("channel")
        .order_by("channel__pk")
        if link.channel.network in with_sandbox and link.channel.is_active
    ]
    return sorted(channels, key=lambda channel: with_sandbox.index(channel.network))


def demo_announcements_send(*, consultation) -> list[str]:
    """Send the consultation's due announcements now, so there is a post to reply to.

    Without a broker the demo runs tasks in-process, after this transaction; with one,
    a worker may not be running yet. Sending here first is safe: a delivery that is
    already out is left as it is.
    """
    report = []
    for delivery in Delivery.objects.filter(
        consultation_id=consultation.pk,
        kind=DeliveryKind.ANNOUNCE,
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
    ).select_related("channel"):
        label = network_label(delivery.channel.network)
        try:
            delivery = delivery_send(delivery_id=delivery.pk)
        except ConnectorError as error:
            report.append(f"The announcement on {label} is not out yet: {error}")
            continue
        if delivery.status == DeliveryStatus.DELIVERED:
            report.append(f"Announced the demo consultation on {label}")
        else:
            report.append(f"The announcement on {label} failed: {delivery.last_error}")
    return report


def _announcement_root(consultation, channel: ChannelAccount, *, language: str = "") -> str:
    """The id of the announcement's first post on the channel ("" for the consultation's own
    language, "cy" for its Welsh one), "" when it is not out."""
    return (
        DeliveryPost.objects.filter(
            delivery__consultation_id=consultation.pk,
            delivery__channel=channel,
            delivery__kind=DeliveryKind.ANNOUNCE,
            delivery__language=language,
            delivery__status=DeliveryStatus.DELIVERED,
            deleted_at__isnull=True,
        )
        .order_by("position")
        .values_list("external_id", flat=True)
        .first()
        or ""
    )


def demo_replies_post(*, consultation) -> list[str]:
    """Citizens reply on each sandbox: to the announcement, naming the department's account,
    and with the consultation's hashtag, through the sandbox's own HTTP endpoints.

    A channel whose replies are already in the record (the same sandbox, seeded before)
    is left alone, so running the demo's seeding again posts nothing twice.
    """
    try:
        # Development only: the installed package has no sandboxes, and no demo replies.
        from connectors.sandbox import sandbox_api_class
    except ImportError:
        return []
    report = []
    session = outbound.session_guard(requests.Session())
    for channel in _sandbox_links(consultation):
        label = network_label(channel.network)
        root = _announcement_root(consultation, channel)
        if not root:
            report.append(f"No demo replies on {label}: the announcement is not out")
            continue
        if Response.objects.filter(
            consultation_id=consultation.pk, channel=channel.network
        ).exists():
            report.append(f"Already there: the demo's replies on {label}")
            continue
        items = sandbox_api_class(channel.network).demo_replies(
            account=channel.handle.lstrip("@"), hashtag=(consultation.hashtag or "").lstrip("#")
        )
        posted: list[str] = []
        try:
            for item in items:
                body = {"handle": item.handle, "text": item.text, "display_name": item.display_name}
                if item.kind == "reply":
                    parent = root if item.answers is None else posted[item.answers]
                    url = f"{channel.base_url}/_sandbox/replies"
                    body["parent_id"] = parent
                else:
                    url = f"{channel.base_url}/_sandbox/posts"
                answer = session.post(url, json=body, timeout=10)
                answer.raise_for_status()
                post = answer.json()
                posted.append(str(post.get("id") or post.get("uri") or ""))
        except (requests.RequestException, ValueError, outbound.OutboundRefused) as error:
            report.append(f"Demo replies on {label} stopped after {len(posted)}: {error}")
            continue
        report.append(f"{len(posted)} citizens replied to the demo consultation on {label}")
    return report


def demo_replies_collect(*, consultation) -> list[str]:
    """Collect the consultation's replies from every sandbox channel once, now."""
    report = []
    for channel in _sandbox_links(consultation):
        outcome = replies_collect(consultation_id=consultation.pk, channel_id=channel.pk)
        line = f"Collected {outcome.created} responses from {network_label(channel.network)}"
        if not outcome.complete:
            line += f" (stopped: {outcome.stopped_by})"
        report.append(line)
    return report


# Citizens answering the Welsh announcement, as people write on social media: informal,
# the odd English word, a question back. One of them gives a phone number, which
# redaction takes out before publishing.
WELSH_DEMO_NETWORKS = 3
WELSH_DEMO_REPLIES = (
    (
        "gwenllian_c",
        "Gwenllian",
        "Syniad da. Ma’r traffig ar Heol y Bont yn ofnadwy bob bore, a’r plant yn "
        "cerdded i’r ysgol trwy’r mwg i gyd.",
    ),
    (
        "dafydd_llan",
        "Dafydd ap Rhys",
        "Cytuno’n llwyr! Ond be am y faniau delifro? Fyddan nhw’n gorfod talu hefyd?",
    ),
    (
        "sian_caerdydd",
        "Siân",
        "Dwi’n poeni am y busnesau bach yng nghanol y dre. Pwy fydd yn talu am hyn i gyd? "
        "Ffoniwch fi ar 07700 900123 os ydych chi isio clywed mwy.",
    ),
    (
        "huw_beicio",
        "Huw",
        "Lonydd beicio iawn plis, dim jyst paent ar y ffordd. Diolch am ofyn yn Gymraeg 👍",
    ),
)


def demo_welsh_replies_post(*, consultation) -> list[str]:
    """Citizens reply in Welsh to the Welsh announcement on each sandbox (once: a channel
    whose Welsh thread already has replies in the record is left alone)."""
    report = []
    session = outbound.session_guard(requests.Session())
    # The first networks of the registry (X, Mastodon, Bluesky): replies under their Welsh
    # post are collected in the same sweep as the English ones. (On YouTube the first
    # sweep did not find them: see the report of issue 16.)
    for channel in _sandbox_links(consultation)[:WELSH_DEMO_NETWORKS]:
        label = network_label(channel.network)
        root = _announcement_root(consultation, channel, language="cy")
        if not root:
            continue
        if Response.objects.filter(
            consultation_id=consultation.pk, channel=channel.network, root_external_id=root
        ).exists():
            report.append(f"Already there: the demo's Welsh replies on {label}")
            continue
        posted = 0
        try:
            for handle, display_name, text in WELSH_DEMO_REPLIES:
                answer = session.post(
                    f"{channel.base_url}/_sandbox/replies",
                    json={
                        "handle": handle,
                        "display_name": display_name,
                        "text": text,
                        "parent_id": root,
                    },
                    timeout=10,
                )
                answer.raise_for_status()
                posted += 1
        except (requests.RequestException, ValueError, outbound.OutboundRefused) as error:
            report.append(f"Welsh demo replies on {label} stopped after {posted}: {error}")
            continue
        report.append(f"{posted} citizens replied in Welsh on {label}")
    return report
