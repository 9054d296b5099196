"""A test that needs a service fails (never skips) in CI when the service is missing."""

import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import PROJECT_DIR
from tests.services import port_problem

NEEDS_A_MISSING_NODE = textwrap.dedent(
    """
    from tests.services import port_problem, require_service

    def test_needs_the_search_node():
        require_service("OpenSearch", port_problem("127.0.0.1", {port}))
    """
)


@pytest.fixture
def closed_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Bound then closed: nothing listens there now.
    assert port_problem("127.0.0.1", port) is not None
    return port


def run_inner_suite(tmp_path, port, **env_overrides):
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(NEEDS_A_MISSING_NODE.format(port=port))
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "HUB_REQUIRE_SERVICES"}}
    env.update(env_overrides, PYTHONPATH=str(PROJECT_DIR))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rfs",
            "--rootdir",
            str(tmp_path),
            str(test_file),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("variable", ["CI", "HUB_REQUIRE_SERVICES"])
def test_missing_service_fails_when_services_are_required(tmp_path, closed_port, variable):
    result = run_inner_suite(tmp_path, closed_port, **{variable: "true"})

    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout
    assert "skipped" not in result.stdout
    assert "OpenSearch is not available" in result.stdout
    assert "make services-up" in result.stdout


def test_missing_service_skips_with_a_reason_when_run_by_hand(tmp_path, closed_port):
    result = run_inner_suite(tmp_path, closed_port)

    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "OpenSearch is not available" in result.stdout
