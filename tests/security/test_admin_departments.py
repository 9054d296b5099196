"""Issue 11, admin half: no role reaches past its department.

Each test plays one attack as a lower role would, and checks it fails.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from connectors.models import ChannelAccount
from consultations.models import DepartmentMembership
from consultations.services import ADMINISTRATOR, MODERATOR
from engagement.analysis.models import CampaignGroup, ResponseAnalysis
from tests.factories.record import ResponseFactory
from tests.security.conftest import PASSWORD, PHONE_NUMBER, fresh

# --- Roles within departments: user accounts ---------------------------------------------


def test_department_admin_cannot_set_a_superusers_password_and_log_in_as_them(client, world):
    attacker = world.own.users["department_admin"]
    client.force_login(attacker)

    edit_url = reverse("wagtailusers_users:edit", args=[world.superuser.pk])
    page = client.get(edit_url)
    client.post(
        edit_url,
        {
            "username": "root",
            "email": "root@example.gov.uk",
            "first_name": "Root",
            "last_name": "Owned",
            "password1": "owned-by-transport-1",
            "password2": "owned-by-transport-1",
            "is_active": "on",
            "is_superuser": "on",
        },
    )

    assert page.status_code == 404
    client.logout()
    assert not client.login(username="root", password="owned-by-transport-1")
    assert client.login(username="root", password=PASSWORD)


def test_department_admin_lists_only_their_own_departments_accounts(client, world):
    client.force_login(world.own.users["department_admin"])

    listing = client.get(reverse("wagtailusers_users:index")).text

    assert "transport-comms_officer" in listing
    assert "health-comms_officer" not in listing
    assert "root" not in listing


def test_department_admin_cannot_edit_an_account_that_is_also_in_another_department(client, world):
    shared = world.own.users["analyst"]
    DepartmentMembership.objects.create(user=shared, department=world.other.department)
    client.force_login(world.own.users["department_admin"])

    response = client.get(reverse("wagtailusers_users:edit", args=[shared.pk]))

    assert response.status_code == 404


def test_department_admin_cannot_grant_a_group_they_do_not_hold_nor_make_a_superuser(client, world):
    member = world.own.users["comms_officer"]
    client.force_login(world.own.users["department_admin"])
    # A group allowing what Administrators may not do: delete accounts.
    moderator_group = Group.objects.create(name="Account removers")
    moderator_group.permissions.add(
        Permission.objects.get(content_type__app_label="auth", codename="delete_user")
    )

    response = client.post(
        reverse("wagtailusers_users:edit", args=[member.pk]),
        {
            "username": member.username,
            "email": member.email,
            "first_name": "Comms",
            "last_name": "Officer",
            "is_active": "on",
            "is_superuser": "on",
            "groups": [moderator_group.pk],
        },
    )

    member = fresh(member)
    assert response.status_code == 200  # the form comes back with the refused choice
    assert not member.is_superuser
    assert not member.groups.filter(pk=moderator_group.pk).exists()
    # What they hold, they may give; and the roles that allow less than theirs.
    administrators = Group.objects.get(name=ADMINISTRATOR)
    response = client.post(
        reverse("wagtailusers_users:edit", args=[member.pk]),
        {
            "username": member.username,
            "email": member.email,
            "first_name": "Comms",
            "last_name": "Officer",
            "is_active": "on",
            "groups": [administrators.pk, Group.objects.get(name=MODERATOR).pk],
        },
    )
    assert response.status_code == 302
    assert set(fresh(member).groups.values_list("name", flat=True)) == {ADMINISTRATOR, MODERATOR}


def test_an_account_a_department_admin_creates_joins_one_of_their_departments(client, world):
    client.force_login(world.own.users["department_admin"])
    fields = {
        "username": "newcomer",
        "email": "newcomer@example.gov.uk",
        "first_name": "New",
        "last_name": "Comer",
        "password1": "a-long-new-password-1",
        "password2": "a-long-new-password-1",
    }

    into_other = client.post(
        reverse("wagtailusers_users:add"), {**fields, "department": world.other.department.pk}
    )
    into_own = client.post(
        reverse("wagtailusers_users:add"), {**fields, "department": world.own.department.pk}
    )

    assert into_other.status_code == 200
    assert into_own.status_code == 302
    memberships = DepartmentMembership.objects.filter(user__username="newcomer")
    assert list(memberships.values_list("department_id", flat=True)) == [world.own.department.pk]


def test_department_admin_cannot_join_another_departments_membership(client, world):
    attacker = world.own.users["department_admin"]
    client.force_login(attacker)

    response = client.post(
        reverse("wagtailsnippets_consultations_departmentmembership:add"),
        {"user": attacker.pk, "department": world.other.department.pk},
    )

    assert response.status_code == 200
    assert not DepartmentMembership.objects.filter(
        user=attacker, department=world.other.department
    ).exists()
    # ... and so cannot read that department's pending responses.
    inspect = client.get(reverse("responses:inspect", args=[world.other.response.pk]))
    assert inspect.status_code == 404


def test_department_admin_cannot_move_or_remove_another_departments_membership(client, world):
    client.force_login(world.own.users["department_admin"])
    theirs = world.other.membership

    edit = client.get(
        reverse("wagtailsnippets_consultations_departmentmembership:edit", args=[theirs.pk])
    )
    delete = client.post(
        reverse("wagtailsnippets_consultations_departmentmembership:delete", args=[theirs.pk])
    )
    listing = client.get(reverse("wagtailsnippets_consultations_departmentmembership:list"))

    assert edit.status_code == 404
    assert delete.status_code == 404
    assert DepartmentMembership.objects.filter(pk=theirs.pk).exists()
    assert "health-comms_officer" not in listing.text


# --- Department-owned rows in the admin ----------------------------------------------------


def test_a_channel_manager_cannot_point_another_departments_channel_elsewhere(client, world):
    theirs = world.other.channel
    client.force_login(world.own.users["channel_manager"])

    edit = client.get(reverse("channels:edit", args=[theirs.pk]))
    client.post(
        reverse("channels:edit", args=[theirs.pk]),
        {
            "department": world.other.department.pk,
            "network": theirs.network,
            "handle": theirs.handle,
            "base_url": "http://127.0.0.1:1/steal",
            "is_active": "on",
        },
    )
    test = client.post(reverse("connectors_channel_test", args=[theirs.pk]))

    assert edit.status_code == 404
    assert test.status_code in (302, 403)  # Wagtail turns a refusal into a redirect home
    theirs.refresh_from_db()
    assert theirs.base_url != "http://127.0.0.1:1/steal"
    assert theirs.last_checked_at is None


def test_a_channel_manager_cannot_move_their_channel_to_another_department(client, world):
    ours = world.own.channel
    client.force_login(world.own.users["channel_manager"])

    response = client.post(
        reverse("channels:edit", args=[ours.pk]),
        {
            "department": world.other.department.pk,
            "network": ours.network,
            "handle": ours.handle,
            "base_url": ours.base_url,
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert ChannelAccount.objects.get(pk=ours.pk).department_id == world.own.department.pk


def test_connector_screens_list_and_open_only_the_own_departments_rows(client, world):
    client.force_login(world.own.users["channel_manager"])
    screens = {
        "channels": (world.own.channel, world.other.channel, ("edit", "history")),
        "deliveries": (world.own.delivery, world.other.delivery, ("inspect",)),
        "collection": (world.own.collection_state, world.other.collection_state, ("inspect",)),
        "quarantine": (world.own.quarantined, world.other.quarantined, ("inspect",)),
    }
    for namespace, (own, other, views) in screens.items():
        listing = client.get(reverse(f"{namespace}:index"))
        assert listing.status_code == 200, namespace
        own_marker, other_marker = (
            ("transport-channel", "health-channel")
            if namespace == "channels"
            else ("Quieter streets (live)", "Hospital plans (live)")
        )
        assert own_marker in listing.text, namespace
        assert other_marker not in listing.text, namespace
        for view in views:
            assert client.get(reverse(f"{namespace}:{view}", args=[own.pk])).status_code == 200
            other_answer = client.get(reverse(f"{namespace}:{view}", args=[other.pk]))
            assert other_answer.status_code == 404, (namespace, view)


def test_response_filters_never_list_another_departments_pages(client, world):
    for role in ("moderator", "analyst"):
        client.force_login(world.own.users[role])

        listing = client.get(reverse("responses:index")).text

        assert "Quieter streets secret draft" in listing, role
        assert "Hospital plans secret draft" not in listing, role
        assert "Hospital plans (live)" not in listing, role


# --- Admin search ----------------------------------------------------------------------


def test_admin_response_search_answers_with_the_own_departments_matches(client, world):
    client.force_login(world.own.users["moderator"])

    by_words = client.get(reverse("responses:index"), {"q": "about transport"})
    by_reference = client.get(reverse("responses:index"), {"q": world.own.response.reference})
    others = client.get(reverse("responses:index"), {"q": "about health"})
    odd = client.get(reverse("responses:index"), {"q": '"'})

    assert by_words.status_code == 200
    assert world.own.response.reference in by_words.text
    assert world.own.response.reference in by_reference.text
    assert others.status_code == 200 and world.other.response.reference not in others.text
    assert odd.status_code == 200


# --- Analysts see published words --------------------------------------------------------


def test_analyst_sees_the_published_words_of_a_response_a_moderator_sees_the_original(
    client, world
):
    inspect_url = reverse("responses:inspect", args=[world.own.response.pk])

    client.force_login(world.own.users["analyst"])
    as_analyst = client.get(inspect_url)
    searched = client.get(reverse("responses:index"), {"q": PHONE_NUMBER})
    client.force_login(world.own.users["moderator"])
    as_moderator = client.get(inspect_url)

    assert as_analyst.status_code == 200
    assert PHONE_NUMBER not in as_analyst.text
    assert "[phone number removed]" in as_analyst.text
    assert world.own.response.reference not in searched.text
    assert PHONE_NUMBER in as_moderator.text


def test_analysis_dashboard_shows_an_analyst_published_words_only(client, world):
    copy = ResponseFactory(
        consultation=world.own.live,
        text=world.own.response.text,
        published_text=world.own.response.published_text,
    )
    group = CampaignGroup.objects.create(
        consultation=world.own.live,
        representative=world.own.response,
        representative_text=world.own.response.text,
        count=2,
    )
    for member in (world.own.response, copy):
        ResponseAnalysis.objects.create(
            response=member,
            text_hash=f"{member.pk:064x}",
            campaign_group=group,
            sentiment_compound=0.0,
            sentiment_label="neutral",
            embedding=b"",
        )
    url = reverse("analysis:consultation", args=[world.own.live.pk])

    client.force_login(world.own.users["analyst"])
    as_analyst = client.get(url)
    client.force_login(world.own.users["department_admin"])  # may moderate: original words
    as_moderator = client.get(url)

    assert as_analyst.status_code == 200
    assert "phone number removed" in as_analyst.text
    assert PHONE_NUMBER not in as_analyst.text
    assert "900123" not in as_analyst.text  # nor as a top term
    assert PHONE_NUMBER in as_moderator.text


# --- Open redirect -----------------------------------------------------------------------


def test_test_connection_redirects_only_to_the_hubs_own_paths(client, world):
    client.force_login(world.superuser)
    url = reverse("connectors_channel_test", args=[world.own.channel.pk])

    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"):
        response = client.post(url, {"next": target})
        assert response.status_code == 302
        assert response["Location"] == reverse("channels:index"), target
    own_path = reverse("channels:edit", args=[world.own.channel.pk])
    assert client.post(url, {"next": own_path})["Location"] == own_path
