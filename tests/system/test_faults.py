"""The whole hub, as deployed, under a steady load and through one fault after another.

It starts its own PostgreSQL, Redis and OpenSearch (the project's scripts, on ports of
their own, under a temporary SERVICES_DIR), so it can stop and kill them without touching
the suite's; then gunicorn with two workers, two Celery workers, beat, the sandbox
networks and a "staff" process (a moderator approving, a comms officer publishing:
tests/system/agent.py). Citizens reply on every sandbox network, people answer the web
form, the public reads pages and searches, while the test injects, in turn: a Celery
worker SIGKILLed in the middle of a delivery and of a collection, a Redis restart,
PostgreSQL stopped for 30 s, OpenSearch stopped for 60 s, and every network answering
429, then 5xx, then malformed JSON. Afterwards it reconciles what was sent with what
the record, the networks and the search index hold, prints the figures and asserts
that nothing was lost or duplicated.
"""

# ruff: noqa: T201 - the figures are printed for the operator (and the issue's note)

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.conftest import PROJECT_DIR
from tests.services import require_service

pytestmark = [pytest.mark.slow, pytest.mark.celery_worker, pytest.mark.search_node]

SCRIPTS = PROJECT_DIR / "scripts" / "services"
# Ports of the test's own services: never the suite's (54329, 63799, 9201).
PG_PORT, REDIS_PORT, OS_HTTP_PORT, OS_TRANSPORT_PORT, WEB_PORT = 54349, 63819, 9221, 9321, 8349
NETWORKS = ("x", "mastodon", "bluesky", "facebook", "youtube", "linkedin")
# The load: a reply on some network and a web response every ~1.5 s, a reader every ~1 s.
REPLY_PAUSE, WEB_PAUSE, READ_PAUSE = 1.5, 3.0, 1.0


def _cache_dir() -> Path:
    """Where the suite's services keep their downloads (OpenSearch from Maven Central)."""
    return Path(os.environ.get("HUB_SYSTEM_SERVICES_CACHE", PROJECT_DIR / ".services" / "cache"))


def _wait(condition: Callable[[], object], *, timeout: float, what: str, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if result := condition():
                return result
        except Exception:  # noqa: BLE001, S110 - not up yet
            pass
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)


class Hub:
    """The services and processes of one deployed hub, all started and stopped by the test."""

    def __init__(self, root: Path):
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir()
        self.requests_dir = root / "requests"
        self.requests_dir.mkdir()
        self.credentials = root / "sandbox-credentials.json"
        self.processes: dict[str, subprocess.Popen] = {}
        self.health_token = secrets.token_urlsafe(16)
        from cryptography.fernet import Fernet

        self.env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT_DIR),
            "DJANGO_SETTINGS_MODULE": "tests.system.settings",
            "DATABASE_URL": f"postgres://hub@127.0.0.1:{PG_PORT}/hub",
            "DATABASE_CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{REDIS_PORT}/1",
            "CACHE_URL": f"redis://127.0.0.1:{REDIS_PORT}/2",
            "SEARCH_URL": f"opensearch3+http://127.0.0.1:{OS_HTTP_PORT}",
            "SEARCH_INDEX_PREFIX": "hubsystem_",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "HUB_CHANNEL_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "HUB_HEALTH_TOKEN": self.health_token,
            "HUB_SANDBOX_CREDENTIALS": str(self.credentials),
            "STATIC_ROOT": str(root / "static"),
            "HUB_RESPONSE_RATE_LIMIT": "100000",
            "HUB_COLLECT_TICK": "3",
            "HUB_SEARCH_DRAIN_INTERVAL": "3",
            "HUB_DELIVERY_RETRY_BASE": "2",
            "HUB_ANALYSIS_INTERVAL": "3600",
            "HUB_LOG_FORMAT": "plain",
            **{f"HUB_COLLECT_INTERVAL_{n.upper()}": "3" for n in NETWORKS},
            # Polling every 3 s spends a real network's 15-minute request budget in minutes;
            # the sandboxes have none, and a spent budget would stop collection mid-test.
            **{f"HUB_COLLECT_RATE_BUDGET_{n.upper()}": "1000000" for n in NETWORKS},
        }
        for name in ("CI", "HUB_REQUIRE_SERVICES", "SEARCH_URL_PREFIX"):
            self.env.pop(name, None)
        self.services_env = {
            **os.environ,
            "SERVICES_DIR": str(root / "services"),
            "SERVICES_CACHE_DIR": str(_cache_dir()),
            "PG_PORT": str(PG_PORT),
            "REDIS_PORT": str(REDIS_PORT),
            "OPENSEARCH_HTTP_PORT": str(OS_HTTP_PORT),
            "OPENSEARCH_TRANSPORT_PORT": str(OS_TRANSPORT_PORT),
        }

    # --- services ----------------------------------------------------------------------

    def service(self, name: str, action: str) -> None:
        script = {"postgres": "postgres.sh", "redis": "redis.sh", "opensearch": "opensearch.sh"}
        result = subprocess.run(
            ["bash", str(SCRIPTS / script[name]), action],
            env=self.services_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode:
            pytest.fail(
                f"{name} {action} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}",
                pytrace=False,
            )

    # --- processes ---------------------------------------------------------------------

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed at exit
        process = subprocess.Popen(
            args,
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a SIGKILL reaches its children too
        )
        self.processes[name] = process
        return process

    def manage(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode:
            pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def agent(self, command: str, argument: Path) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "tests.system.agent", command, str(argument)],
            cwd=PROJECT_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            pytest.fail(f"agent {command} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def celery_worker(self, number: int) -> subprocess.Popen:
        return self.start(
            f"worker{number}",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cms",
                "worker",
                "--concurrency=1",
                "-n",
                f"system{number}@%h",
                "--loglevel=INFO",
            ],
        )

    def kill(self, name: str) -> None:
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log_tail(self, name: str, size: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""


class Load:
    """Citizens, respondents and readers, each a thread, recording what they sent."""

    def __init__(self, hub: Hub, plan: dict):
        self.hub = hub
        self.plan = plan
        self.base = f"http://127.0.0.1:{WEB_PORT}"
        self.stop = threading.Event()
        self.replies: list[dict] = []
        self.web_references: list[str] = []
        self.web_refused: dict[int | str, int] = {}
        self.reads = {"ok": 0, "failed": 0}
        self.read_statuses: dict[int | str, int] = {}
        self.errors: list[str] = []
        self.threads = [
            threading.Thread(target=self._guard(self._citizens), daemon=True),
            threading.Thread(target=self._guard(self._respondents), daemon=True),
            threading.Thread(target=self._guard(self._readers), daemon=True),
        ]

    def _guard(self, loop):
        def run():
            try:
                loop()
            except Exception as error:  # noqa: BLE001 - reported at the end
                self.errors.append(f"{loop.__name__}: {error!r}")

        return run

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _citizens(self):
        session = requests.Session()
        networks = list(self.plan["channels"])
        number = 0
        while not self.stop.wait(REPLY_PAUSE):
            number += 1
            network = networks[number % len(networks)]
            channel = self.plan["channels"][network]
            token = f"systoken{number:05d}z"
            text = f"Reply {token}: the clean air zone would help my street"
            try:
                answer = session.post(
                    f"{channel['base_url']}/_sandbox/replies",
                    json={"parent_id": channel["root"], "handle": f"citizen{number}", "text": text},
                    timeout=10,
                )
            except requests.RequestException as error:
                self.errors.append(f"sandbox {network}: {error}")
                continue
            if answer.status_code == 201:
                self.replies.append({"network": network, "token": token})

    def _respondents(self):
        number = 0
        while not self.stop.wait(WEB_PAUSE):
            number += 1
            session = requests.Session()
            form_url = f"{self.base}{self.plan['url']}respond/"
            try:
                page = session.get(form_url, timeout=30)
                if page.status_code != 200:
                    self.web_refused[page.status_code] = (
                        self.web_refused.get(page.status_code, 0) + 1
                    )
                    continue
                data = _form_data(page.text, f"Web answer webtoken{number:05d}z about buses")
                answer = session.post(
                    form_url, data=data, headers={"Referer": form_url}, timeout=30
                )
            except requests.RequestException as error:
                self.web_refused[type(error).__name__] = (
                    self.web_refused.get(type(error).__name__, 0) + 1
                )
                continue
            reference = re.search(r'id="response-reference">([^<]+)<', answer.text)
            if answer.status_code == 200 and reference:
                self.web_references.append(reference.group(1).strip())
            else:
                self.web_refused[answer.status_code] = (
                    self.web_refused.get(answer.status_code, 0) + 1
                )

    def _readers(self):
        session = requests.Session()
        paths = [
            "/consultations/",
            self.plan["url"],
            f"{self.plan['url']}responses/",
            f"{self.plan['url']}responses/?q=street",
            "/search/?q=clean+air",
            "/api/v1/responses/?q=buses",
        ]
        number = 0
        while not self.stop.wait(READ_PAUSE):
            number += 1
            try:
                status = session.get(
                    f"{self.base}{paths[number % len(paths)]}", timeout=30
                ).status_code
            except requests.RequestException as error:
                status = type(error).__name__
            self.reads["ok" if status == 200 else "failed"] += 1
            self.read_statuses[status] = self.read_statuses.get(status, 0) + 1


def _form_data(html: str, text: str) -> dict:
    """Fill the response form as a person would: every question answered, consent given."""
    data: dict[str, object] = {
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(
            1
        ),
        "consent_to_publish": "on",
    }
    for name in re.findall(r'<textarea[^>]*name="(question_\d+)"', html):
        data[name] = text
    for tag in re.findall(r'<input[^>]*type="(?:radio|checkbox)"[^>]*>', html):
        name = re.search(r'name="(question_\d+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value and name.group(1) not in data:
            data[name.group(1)] = value.group(1)
    return data


@pytest.fixture
def hub():
    for tool in ("redis-server", "mvn"):
        if not shutil.which(tool):
            require_service("the system test's services", f"{tool} is not installed")
    root = Path(tempfile.mkdtemp(prefix="hub-system-", dir="/tmp"))
    # The services run as their own users (postgres, hubsearch): they must reach their folders.
    root.chmod(0o755)
    hub = Hub(root)
    try:
        yield hub
    finally:
        hub.stop_all()
        for name in ("opensearch", "redis", "postgres"):
            subprocess.run(
                ["bash", str(SCRIPTS / f"{name}.sh"), "stop"],
                env=hub.services_env,
                capture_output=True,
                timeout=120,
            )
        # The data and the unpacked distribution go; the logs stay for whoever reads them.
        shutil.rmtree(root / "services", ignore_errors=True)
        print(f"\nThe system test's logs: {hub.logs}")


def _ping(port: int) -> bool:
    return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200


def _department_posts(
    plan: dict, *, before: dict[str, set[str]] | None = None
) -> dict[str, list[str]]:
    """The posts the department's account has on each network, less those it had ``before``
    the hub posted anything (the YouTube sandbox seeds the channel's video, for instance).

    A Page or an organisation is shown by its name, an account by its handle.
    """
    posts = {}
    for network, channel in plan["channels"].items():
        summaries = requests.get(f"{channel['base_url']}/_sandbox/summaries", timeout=10).json()
        handle = channel["handle"].lstrip("@")
        authors = {handle, handle.split(".")[0], channel.get("display_name") or handle}
        existing = (before or {}).get(network, set())
        posts[network] = [
            p["id"]
            for p in summaries["posts"]
            if not p["deleted"] and p["author"].lstrip("@") in authors and p["id"] not in existing
        ]
    return posts


def _sandbox_posts(credentials: Path) -> dict[str, set[str]]:
    """Every post on every sandbox now, whoever wrote it."""
    return {
        network: {
            p["id"]
            for p in requests.get(f"{entry['base_url']}/_sandbox/summaries", timeout=10).json()[
                "posts"
            ]
        }
        for network, entry in json.loads(credentials.read_text()).items()
    }


def _probe(broker_url: str):
    """A Celery app on the system test's broker, to ping and inspect its workers.

    Celery prefers the CELERY_BROKER_URL environment variable to any broker it is
    given, so the test points that variable at its own Redis while it runs.
    """
    from celery import Celery

    assert os.environ["CELERY_BROKER_URL"] == broker_url
    probe = Celery("system-probe", broker=broker_url, set_as_current=False)
    probe.conf.accept_content = ["json"]
    return probe


def _ping_workers(broker_url: str) -> list:
    return _probe(broker_url).control.ping(timeout=1)


def _active_task(broker_url: str, prefix: str) -> str | None:
    """The name of the worker running a task called ``prefix``…, if any."""
    active = _probe(broker_url).control.inspect(timeout=1).active() or {}
    for hostname, tasks in active.items():
        if any(task["name"].startswith(prefix) for task in tasks):
            return "worker" + hostname.split("@")[0].removeprefix("system")
    return None


def test_the_hub_loses_and_duplicates_nothing_through_faults_under_load(hub, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", hub.env["CELERY_BROKER_URL"])
    timings: dict[str, float] = {}
    started = time.monotonic()
    for name in ("postgres", "redis", "opensearch"):
        hub.service(name, "start")
    timings["services up"] = time.monotonic() - started

    hub.manage("migrate", "--no-input", "-v0")
    timings["migrate"] = time.monotonic() - started
    # Needed, not a formality: the manifest storage refuses pages whose assets it has not seen.
    hub.manage("collectstatic", "--no-input", "-v0")
    timings["collectstatic"] = time.monotonic() - started
    hub.manage("update_index")
    hub.start(
        "sandbox",
        [
            sys.executable,
            "manage.py",
            "sandbox",
            "--seed-accounts",
            "--credentials-file",
            str(hub.credentials),
        ]
        + [arg for n in NETWORKS for arg in (f"--{n}-port", "0")],
    )
    _wait(lambda: hub.credentials.exists(), timeout=60, what="the sandboxes")
    before_the_hub = _wait(
        lambda: _sandbox_posts(hub.credentials), timeout=60, what="the sandboxes' posts"
    )
    # Themes are not what this test checks; the analysis would only delay the load.
    hub.manage("seed_demo", "--no-analysis")
    timings["seeded"] = time.monotonic() - started
    plan_file = hub.root / "plan.json"
    hub.agent("setup", plan_file)
    plan = json.loads(plan_file.read_text())
    assert set(plan["channels"]) == set(NETWORKS), plan
    assert all(c["root"] for c in plan["channels"].values()), plan

    hub.start(
        "web",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cms.wsgi",
            "--workers=2",
            f"--bind=127.0.0.1:{WEB_PORT}",
            "--timeout=60",
            "--graceful-timeout=5",
        ],
    )
    hub.celery_worker(1)
    hub.celery_worker(2)
    hub.start(
        "beat",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cms",
            "beat",
            "-s",
            str(hub.root / "celerybeat-schedule"),
            "--loglevel=INFO",
        ],
    )
    hub.start("staff", [sys.executable, "-m", "tests.system.agent", "staff", str(hub.requests_dir)])
    _wait(lambda: _ping(WEB_PORT), timeout=120, what="gunicorn")
    timings["hub up"] = time.monotonic() - started

    control = hub.env["CELERY_BROKER_URL"]
    _wait(lambda: len(_ping_workers(control)) == 2, timeout=120, what="two Celery workers")

    recovery: dict[str, float] = {}
    published = 0

    def publish() -> None:
        nonlocal published
        published += 1
        (hub.requests_dir / f"publish-{published}").touch()

    def recovered_after(fault: str, since: float) -> None:
        """Time until a fresh reply on every network is in the record and a page answers."""
        recovery[fault] = time.monotonic() - since

    def sandbox(network: str, http_method: str, control_path: str, /, **body):
        answer = requests.request(
            http_method,
            f"{plan['channels'][network]['base_url']}{control_path}",
            json=body or None,
            timeout=10,
        )
        assert answer.status_code < 300, answer.text
        return answer

    def metric_sum(counted: Callable[[str], bool]) -> int:
        """The sum of the hub's /metrics lines ``counted`` picks (no line: 0)."""
        answer = requests.get(
            f"http://127.0.0.1:{WEB_PORT}/metrics",
            headers={"Authorization": f"Bearer {hub.health_token}"},
            timeout=10,
        )
        answer.raise_for_status()
        return int(
            sum(float(line.rsplit(" ", 1)[1]) for line in answer.text.splitlines() if counted(line))
        )

    def social_collected() -> int:
        """Replies from the networks in the record, as the hub's metrics count them."""
        return metric_sum(
            lambda line: (
                line.startswith("hub_replies_collected_total{")
                and any(f'channel="{n}"' in line for n in NETWORKS)
            )
        )

    baseline = social_collected()

    def deliveries_sending() -> int:
        """Deliveries in "sending", as the hub's metrics count them."""
        return metric_sum(lambda line: line.startswith('hub_deliveries{status="sending"}'))

    def replies_caught_up(count: int) -> Callable[[], bool]:
        """Whether the record holds at least as many replies as were sent so far."""
        return lambda: social_collected() >= baseline + count

    with Load(hub, plan) as load:
        time.sleep(20)

        # 1. A worker SIGKILLed in the middle of a delivery: Mastodon holds the announcement's
        # POST after it has made the status, so the worker is killed with the outcome unknown.
        sandbox(
            "mastodon",
            "POST",
            "/_sandbox/faults",
            kind="hold_after_write",
            path="/api/v1/statuses",
            method="POST",
            hold=30,
        )
        publish()
        since = time.monotonic()
        victim = _wait(
            lambda: _active_task(control, "connectors.tasks.deliver") if _holding(plan) else None,
            timeout=90,
            what="a delivery held by the Mastodon sandbox",
            interval=0.3,
        )
        assert deliveries_sending() >= 1, "the held delivery should be sending"
        killed_at = time.monotonic()
        hub.kill(victim)
        hub.celery_worker(int(victim[-1]))
        sandbox("mastodon", "DELETE", "/_sandbox/faults")
        # Nobody retries it: beat finds the delivery whose lock died with the worker and
        # takes it over, checking the network first (the reconciliation counts the posts).
        _wait(
            lambda: deliveries_sending() == 0,
            timeout=180,
            what="beat to take over the killed worker's delivery",
        )
        recovery["delivery taken over after the kill"] = time.monotonic() - killed_at
        recovered_after("worker killed mid-delivery", since)

        # 2. A worker SIGKILLed in the middle of a collection: X holds a read.
        sandbox(
            "x",
            "POST",
            "/_sandbox/faults",
            kind="timeout",
            path="/2/tweets/search",
            method="GET",
            hold=20,
        )
        since = time.monotonic()
        victim = _wait(
            lambda: _active_task(control, "connectors.tasks.collect_replies"),
            timeout=90,
            what="a collection in progress",
            interval=0.3,
        )
        hub.kill(victim)
        hub.celery_worker(int(victim[-1]))
        sandbox("x", "DELETE", "/_sandbox/faults")
        sent = len(load.replies)
        _wait(replies_caught_up(sent), timeout=180, what="collection to catch up after the kill")
        recovered_after("worker killed mid-collection", since)

        # 3. Redis restarts (broker, results and cache).
        publish()
        since = time.monotonic()
        hub.service("redis", "stop")
        time.sleep(5)
        hub.service("redis", "start")
        sent = len(load.replies)
        _wait(replies_caught_up(sent), timeout=180, what="collection after the Redis restart")
        recovered_after("Redis restart", since)

        # 4. PostgreSQL away for 30 s.
        since = time.monotonic()
        hub.service("postgres", "stop")
        time.sleep(30)
        hub.service("postgres", "start")
        sent = len(load.replies)
        _wait(replies_caught_up(sent), timeout=180, what="collection after PostgreSQL came back")
        recovered_after("PostgreSQL stopped 30 s", since)

        # 5. OpenSearch away for 60 s.
        publish()
        since = time.monotonic()
        hub.service("opensearch", "stop")
        time.sleep(60)
        hub.service("opensearch", "start")
        _wait(
            lambda: (
                requests.get(
                    f"http://127.0.0.1:{WEB_PORT}/search/?q=street", timeout=10
                ).status_code
                == 200
            ),
            timeout=120,
            what="search after OpenSearch came back",
        )
        recovered_after("OpenSearch stopped 60 s", since)

        # 6. Every network answers 429, then 5xx, then malformed JSON, for a while each.
        since = time.monotonic()
        for kind in ("rate_limit", "server_error", "malformed"):
            for network in NETWORKS:
                sandbox(
                    network,
                    "POST",
                    "/_sandbox/faults",
                    kind=kind,
                    times=15,
                    reset_in=5,
                    method="GET",
                )
            time.sleep(15)
        for network in NETWORKS:
            sandbox(network, "DELETE", "/_sandbox/faults")
        sent = len(load.replies)
        _wait(replies_caught_up(sent), timeout=240, what="collection after the networks' faults")
        recovered_after("networks: 429, 5xx, malformed", since)
        publish()
        time.sleep(10)

    # Nothing is left "sending": a delivery whose worker died is taken over by beat.
    _wait(lambda: deliveries_sending() == 0, timeout=180, what="the deliveries to finish")
    # Let the record settle: collection, moderation and the search drain catch up.
    sent = {"replies": load.replies, "web_references": load.web_references}
    # Not fatal: the reconciliation below says which replies are missing, and why.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not replies_caught_up(len(load.replies))():
        time.sleep(2)
    time.sleep(20)
    sent["department_posts"] = _department_posts(plan, before=before_the_hub)
    sent_file = hub.root / "sent.json"
    sent_file.write_text(json.dumps(sent))
    figures = json.loads(hub.agent("reconcile", sent_file))
    metrics = requests.get(
        f"http://127.0.0.1:{WEB_PORT}/metrics",
        headers={"Authorization": f"Bearer {hub.health_token}"},
        timeout=10,
    ).text

    print("\n=== System test figures ===")
    print(f"replies: {figures['replies']}")
    print(
        f"web responses: accepted {figures['web']['accepted']}, recorded {figures['web']['recorded']}, "
        f"refused {load.web_refused}"
    )
    print(f"reads: {load.reads} {load.read_statuses}")
    print(f"deliveries: {figures['deliveries']}")
    print(f"index: {figures['index']}")
    print(f"ledger: {figures['ledger']}")
    print(f"quarantine: {figures['quarantine_reasons']}")
    print("recovery (s): " + ", ".join(f"{k} {v:.0f}" for k, v in recovery.items()))
    print("set-up (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    print(
        "hub metrics: "
        + "; ".join(
            line
            for line in metrics.splitlines()
            if line.startswith(("hub_outbox", "hub_search", "hub_deliveries"))
        )
    )
    print(f"load errors: {load.errors[:5]}")

    assert figures["replies"]["sent"] > 0 and figures["web"]["accepted"] > 0
    assert figures["replies"]["lost"] == 0, figures["lost_replies"]
    assert figures["replies"]["duplicated"] == 0, figures["duplicated_replies"]
    assert figures["web"]["lost"] == []
    assert figures["deliveries"]["duplicated"] == [] and figures["deliveries"]["missing"] == []
    assert figures["deliveries"]["not_delivered"] == []
    assert figures["deliveries"]["unannounced"] == []
    assert figures["index"]["missing_from_index"] == 0 and figures["index"]["stale_in_index"] == 0
    assert (
        figures["ledger"]["collected"]
        == figures["ledger"]["rows"]
        == figures["ledger"]["sum_of_parts"]
    )


def _holding(plan: dict) -> bool:
    """Whether a new announcement is on the Mastodon sandbox (its POST is being held)."""
    return (
        len(_department_posts({"channels": {"mastodon": plan["channels"]["mastodon"]}})["mastodon"])
        > 1
    )
