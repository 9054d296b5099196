"""The sandboxes' HTTP control endpoints, HTML pages and `manage.py sandbox`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
import tweepy

from connectors.sandbox import start_sandbox
from tests.connectors.conftest import NETWORKS
from tests.sandbox.conftest import SandboxSession, make_atproto_client, make_mastodon_client

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["x", "mastodon", "bluesky"])
def server(request):
    server = start_sandbox(request.param)
    yield server
    server.stop()


def post_id_of(server, post: dict) -> str:
    return post["uri"] if server.network == "bluesky" else post["id"]


def test_accounts_replies_and_posts_can_be_made_over_http(server):
    account = requests.post(
        f"{server.base_url}/_sandbox/accounts",
        json={"handle": "cleanair", "display_name": "Clean Air", "password": "pw"},
        timeout=2,
    )
    assert account.status_code == 201
    assert account.json()["credentials"]
    top = requests.post(
        f"{server.base_url}/_sandbox/posts",
        json={"handle": "alice", "text": "Hello #CleanAir"},
        timeout=2,
    ).json()
    reply = requests.post(
        f"{server.base_url}/_sandbox/replies",
        json={"parent_id": post_id_of(server, top), "handle": "bob", "text": "Hi alice"},
        timeout=2,
    )
    assert reply.status_code == 201

    state = requests.get(f"{server.base_url}/_sandbox/state", timeout=2).json()
    assert state["network"] == server.network
    assert len(state["accounts"]) == 3
    assert [post_id_of(server, p) for p in state["posts"]] == [
        post_id_of(server, reply.json()),
        post_id_of(server, top),
    ]


def test_control_endpoints_reject_incomplete_input(server):
    response = requests.post(
        f"{server.base_url}/_sandbox/replies", json={"handle": "bob"}, timeout=2
    )
    assert response.status_code == 400
    assert "parent_id" in response.json()["error"]
    bad_fault = requests.post(
        f"{server.base_url}/_sandbox/faults", json={"kind": "gremlins"}, timeout=2
    )
    assert bad_fault.status_code == 400


def test_a_post_deleted_over_http_is_gone_and_marked_on_the_html_page(server):
    post = server.state.citizen_post(handle="alice", text="Short-lived <b>post</b>")
    post_id = post_id_of(server, post)

    page = requests.get(f"{server.base_url}/_sandbox/posts/{quote(post_id, safe='')}", timeout=2)
    assert page.status_code == 200 and "Short-lived &lt;b&gt;post&lt;/b&gt;" in page.text

    deleted = requests.delete(
        f"{server.base_url}/_sandbox/posts/{quote(post_id, safe='')}", timeout=2
    )
    assert deleted.status_code == 204
    assert server.state.get_post(post_id) is None
    index = requests.get(f"{server.base_url}/", timeout=2)
    assert "(deleted)" in index.text
    assert (
        "This post was deleted"
        in requests.get(
            f"{server.base_url}/_sandbox/posts/{quote(post_id, safe='')}", timeout=2
        ).text
    )


def test_faults_can_be_injected_over_http(server):
    requests.post(
        f"{server.base_url}/_sandbox/faults",
        json={"kind": "server_error", "times": 2, "path": "/api"},
        timeout=2,
    ).raise_for_status()
    requests.post(f"{server.base_url}/_sandbox/faults", json={"kind": "rate_limit"}, timeout=2)
    # Control requests are never faulted; the pending faults are cleared over HTTP too.
    assert requests.get(f"{server.base_url}/_sandbox/state", timeout=2).status_code == 200
    assert requests.delete(f"{server.base_url}/_sandbox/faults", timeout=2).status_code == 204
    assert requests.get(f"{server.base_url}/nothing-here", timeout=2).status_code in (404, 501)


def test_edits_exist_only_where_the_network_has_them(server):
    post = server.state.citizen_post(handle="alice", text="first")
    response = requests.post(
        f"{server.base_url}/_sandbox/posts/{quote(post_id_of(server, post), safe='')}/edit",
        json={"text": "second"},
        timeout=2,
    )
    if server.network == "mastodon":
        assert response.status_code == 200 and response.json()["edited_at"]
    elif server.network == "x":
        # X: a new version with a new id at the end of the edit history chain.
        edited = response.json()
        assert response.status_code == 200 and edited["text"] == "second"
        assert edited["edit_history_tweet_ids"] == [post["id"], edited["id"]]
    else:
        # Bluesky posts cannot be edited.
        assert response.status_code == 400


def test_the_request_log_records_method_and_path(server):
    requests.get(f"{server.base_url}/_sandbox/state?x=1", timeout=2)
    assert server.state.request_log[-1] == ("GET", "/_sandbox/state")


def test_manage_py_sandbox_seeds_accounts_usable_from_another_process(tmp_path):
    credentials_file = tmp_path / "sandbox.json"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "PYTHONPATH": str(PROJECT_DIR),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "sandbox",
            *(f"--{network}-port=0" for network in NETWORKS),
            "--seed-accounts",
            f"--credentials-file={credentials_file}",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not credentials_file.exists() or not credentials_file.stat().st_size:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the sandbox command did not start"
            time.sleep(0.1)
        seeded = json.loads(credentials_file.read_text())

        assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
        assert set(seeded) == set(NETWORKS)

        x = seeded["x"]
        tweepy_client = tweepy.Client(**x["credentials"])
        tweepy_client.session = SandboxSession(x["base_url"])
        assert tweepy_client.get_me(user_auth=True).data.username == x["account"]["handle"]

        class Seeded:
            def __init__(self, entry):
                self.base_url = entry["base_url"]
                self.credentials = entry["credentials"]

        mastodon = make_mastodon_client(Seeded(seeded["mastodon"]), Seeded(seeded["mastodon"]))
        assert mastodon.status_post("Hello from the demo").account.acct == "cleanair"
        bluesky = make_atproto_client(Seeded(seeded["bluesky"]), Seeded(seeded["bluesky"]))
        assert bluesky.me.did == seeded["bluesky"]["account"]["id"]
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "x " in output and "http://127.0.0.1:" in output
    assert process.returncode == 0
    # The credentials die with the servers, so the file goes too.
    assert not credentials_file.exists()


def test_manage_py_sandbox_refuses_a_credentials_file_without_seeding(tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="needs --seed-accounts"):
        call_command("sandbox", credentials_file=tmp_path / "never-written.json")
    assert not (tmp_path / "never-written.json").exists()
