"""The admin screens: add a channel, test its connection, follow, retry and delete deliveries."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from connectors.models import (
    ChannelAccount,
    ConsultationChannel,
    DeliveryEventAction,
    DeliveryKind,
    DeliveryStatus,
)
from connectors.services import delivery_schedule_for_consultation, delivery_send
from tests.connectors.conftest import make_sandbox_channel
from tests.factories.connectors import DepartmentFactory, consultation_page


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser(username="admin", password="x" * 12)
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.parametrize("network", ["mastodon"])
def test_adding_a_channel_in_the_admin_stores_its_credentials_encrypted(
    admin_client, sandboxes, network
):
    server = sandboxes[network]
    account = server.state.create_account(handle="adminadd", display_name="Added in the admin")
    department = DepartmentFactory()

    response = admin_client.post(
        reverse("channels:add"),
        {
            "department": department.pk,
            "network": network,
            "handle": account.handle,
            "display_name": "",
            "base_url": server.base_url,
            "is_active": "on",
            "access_token": account.credentials["access_token"],
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    channel = ChannelAccount.objects.get(handle=account.handle)
    assert channel.credentials == {"access_token": account.credentials["access_token"]}
    assert account.credentials["access_token"] not in channel.credentials_ciphertext

    # Editing without retyping the secret keeps it.
    response = admin_client.post(
        reverse("channels:edit", args=[channel.pk]),
        {
            "department": department.pk,
            "network": network,
            "handle": account.handle,
            "display_name": "Renamed",
            "base_url": server.base_url,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.display_name == "Renamed"
    assert channel.credentials == {"access_token": account.credentials["access_token"]}


def test_adding_a_channel_without_its_credentials_is_refused_with_the_reason(admin_client):
    department = DepartmentFactory()

    response = admin_client.post(
        reverse("channels:add"),
        {
            "department": department.pk,
            "network": "bluesky",
            "handle": "nopassword",
            "identifier": "x",
        },
    )

    assert response.status_code == 200
    assert "password" in response.content.decode()
    assert not ChannelAccount.objects.filter(handle="nopassword").exists()


def test_test_connection_button_reports_success_and_records_the_check(admin_client, sandboxes):
    sandbox = make_sandbox_channel(sandboxes, "bluesky")

    listing = admin_client.get(reverse("channels:index")).content.decode()
    assert reverse("connectors_channel_test", args=[sandbox.channel.pk]) in listing
    assert re.search(r'name="csrfmiddlewaretoken" value="\w{20,}"', listing)  # the button can POST
    response = admin_client.post(
        reverse("connectors_channel_test", args=[sandbox.channel.pk]), follow=True
    )

    assert "connected as" in response.content.decode()
    sandbox.channel.refresh_from_db()
    assert sandbox.channel.last_checked_at is not None and sandbox.channel.last_error == ""


def test_test_connection_reports_refused_credentials(admin_client, sandboxes):
    sandbox = make_sandbox_channel(sandboxes, "mastodon", credentials={"access_token": "wrong"})

    response = admin_client.post(
        reverse("connectors_channel_test", args=[sandbox.channel.pk]), follow=True
    )

    assert "the connection failed" in response.content.decode()
    sandbox.channel.refresh_from_db()
    assert sandbox.channel.last_error


def test_test_connection_refuses_get(admin_client, sandboxes):
    sandbox = make_sandbox_channel(sandboxes, "mastodon")

    response = admin_client.get(reverse("connectors_channel_test", args=[sandbox.channel.pk]))

    assert response.status_code == 405


def _delivered(home_page, sandboxes, network="x", **page_fields):
    sandbox = make_sandbox_channel(sandboxes, network)
    page = consultation_page(
        home_page, sandbox.channel.department, channels=[sandbox.channel], **page_fields
    )
    deliveries = delivery_schedule_for_consultation(page=page)
    announce = next(d for d in deliveries if d.kind == DeliveryKind.ANNOUNCE)
    return sandbox, delivery_send(delivery_id=announce.pk)


def test_delivery_listing_links_to_the_post_and_the_inspect_page_shows_the_audit_trail(
    admin_client, home_page, sandboxes
):
    sandbox, delivery = _delivered(home_page, sandboxes)

    listing = admin_client.get(reverse("deliveries:index")).content.decode()
    inspect = admin_client.get(reverse("deliveries:inspect", args=[delivery.pk])).content.decode()

    post_url = delivery.posts.get().url
    assert post_url in listing
    assert reverse("deliveries:inspect", args=[delivery.pk]) in listing
    assert post_url in inspect
    assert "Delivered" in inspect and "Scheduled" in inspect and "Part posted" in inspect


def test_retry_asks_for_confirmation_then_requeues_and_records_who(
    admin_client, home_page, sandboxes
):
    sandbox = make_sandbox_channel(sandboxes, "mastodon", credentials={"access_token": "wrong"})
    page = consultation_page(home_page, sandbox.channel.department, channels=[sandbox.channel])
    announce = next(
        d for d in delivery_schedule_for_consultation(page=page) if d.kind == DeliveryKind.ANNOUNCE
    )
    assert delivery_send(delivery_id=announce.pk).status == DeliveryStatus.FAILED
    url = reverse("connectors_delivery_retry", args=[announce.pk])

    confirm = admin_client.get(url)
    assert confirm.status_code == 200 and "Yes, retry delivery" in confirm.content.decode()
    announce.refresh_from_db()
    assert announce.status == DeliveryStatus.FAILED  # a GET changes nothing

    admin_client.post(url)

    announce.refresh_from_db()
    # An earlier attempt ran, so the retry checks the network before posting again.
    assert announce.status == DeliveryStatus.SENDING
    event = announce.events.get(action=DeliveryEventAction.RETRY_REQUESTED)
    assert event.actor == admin_client.user


def test_delete_posts_removes_the_thread_from_the_network_after_confirmation(
    admin_client, home_page, sandboxes
):
    sandbox, delivery = _delivered(home_page, sandboxes, network="bluesky", summary="word " * 150)
    assert len(sandbox.posts) == delivery.posts.count() >= 2
    url = reverse("connectors_delivery_delete_posts", args=[delivery.pk])

    assert admin_client.get(url).status_code == 200
    assert len(sandbox.posts) == delivery.posts.count()
    admin_client.post(url)

    delivery.refresh_from_db()
    assert sandbox.posts == []
    assert delivery.status == DeliveryStatus.DELETED
    assert not delivery.posts.filter(deleted_at__isnull=True).exists()
    assert delivery.events.get(action=DeliveryEventAction.DELETED).actor == admin_client.user


def test_someone_outside_the_department_cannot_retry(client, home_page, sandboxes):
    sandbox, delivery = _delivered(home_page, sandboxes)
    outsider = get_user_model().objects.create_user(username="outsider", password="x" * 12)
    client.force_login(outsider)

    response = client.post(reverse("connectors_delivery_retry", args=[delivery.pk]))

    assert response.status_code in (302, 403)
    assert not delivery.events.filter(action=DeliveryEventAction.RETRY_REQUESTED).exists()


# --- The page editor's "Cross-post to" inline ------------------------------------------------


def _page_editor_data(client, page) -> dict:
    """What the page editor posts back unchanged: every field and inline form as shown."""
    form = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).context["form"]
    data = {}
    forms = [form]
    for formset in form.formsets.values():
        management = formset.management_form
        data.update(
            {management.add_prefix(name): value for name, value in management.initial.items()}
        )
        forms.extend(formset.forms)
    for each in forms:
        for name, field in each.fields.items():
            if name in getattr(each, "formsets", {}):
                continue
            value = each.initial.get(name, field.initial)
            if callable(value):
                value = value()
            if isinstance(value, bool):
                if value:
                    data[each.add_prefix(name)] = "on"
                continue
            data[each.add_prefix(name)] = "" if value is None else value
    data.update(
        {
            "opens_at": timezone.localtime(page.opens_at).strftime("%Y-%m-%d %H:%M"),
            "closes_at": timezone.localtime(page.closes_at).strftime("%Y-%m-%d %H:%M"),
            "body-count": "0",
            "outcome-count": "0",
        }
    )
    return data


@pytest.mark.parametrize("network", ["mastodon", "bluesky", "facebook"])
def test_the_page_editor_switches_on_the_reply_to_each_respondent(
    admin_client, sandboxes, home_page, network
):
    sandbox = make_sandbox_channel(sandboxes, network)
    page = consultation_page(home_page, sandbox.channel.department, channels=[sandbox.channel])
    data = _page_editor_data(admin_client, page)
    assert data["cross_post_channels-0-channel"] == sandbox.channel.pk
    assert "cross_post_channels-0-reply_to_respondents" not in data  # off by default

    data["cross_post_channels-0-reply_to_respondents"] = "on"
    data["action-publish"] = "action-publish"
    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)

    assert response.status_code == 302, (
        response.context["form"].formsets["cross_post_channels"].errors
    )
    page.refresh_from_db()
    assert page.live is True
    link = ConsultationChannel.objects.get(page_id=page.pk)
    assert link.channel_id == sandbox.channel.pk
    assert link.reply_to_respondents is True

    # And off again.
    data = _page_editor_data(admin_client, page)
    assert data["cross_post_channels-0-reply_to_respondents"] == "on"
    del data["cross_post_channels-0-reply_to_respondents"]
    data["action-publish"] = "action-publish"
    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 302
    assert ConsultationChannel.objects.get(page_id=page.pk).reply_to_respondents is False


@pytest.mark.parametrize("network", ["x", "youtube", "linkedin"])
def test_the_page_editor_refuses_the_reply_to_each_respondent_where_the_rules_forbid_it(
    admin_client, sandboxes, home_page, network
):
    sandbox = make_sandbox_channel(sandboxes, network)
    page = consultation_page(home_page, sandbox.channel.department, channels=[sandbox.channel])
    data = _page_editor_data(admin_client, page)
    data["cross_post_channels-0-reply_to_respondents"] = "on"
    data["action-publish"] = "action-publish"

    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)

    assert response.status_code == 200
    (inline,) = response.context["form"].formsets["cross_post_channels"].forms
    (error,) = inline.errors["reply_to_respondents"]
    assert "rules do not allow automated replies" in error
    assert sandbox.channel.get_network_display() in error
    # A field error on the checkbox itself (Wagtail's, read out by screen readers with it).
    html = response.content.decode()
    checkbox = re.search(
        r'<input type="checkbox" name="cross_post_channels-0-reply_to_respondents"[^>]*>', html
    ).group(0)
    assert 'aria-invalid="true"' in checkbox
    errors_id = re.search(r'aria-describedby="[^"]*?(\S+-errors)"', checkbox).group(1)
    errors = re.search(rf'id="{errors_id}">(.*?)</div>', html, re.S).group(1)
    assert 'class="error-message"' in errors and escape(error) in errors
    page.refresh_from_db()
    assert page.live is False
    assert ConsultationChannel.objects.get(page_id=page.pk).reply_to_respondents is False
