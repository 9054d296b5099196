"""A real headless Chromium (Debian's) driving the live server, with axe-core."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.services import require_service

PROJECT_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AXE = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1024",
)


def _chromium_problem() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def chromium():
    require_service("Chromium", _chromium_problem())
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="hub-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    # The explicit driver path keeps Selenium Manager from downloading anything.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(chromium):
    chromium.delete_all_cookies()
    return chromium


@pytest.fixture
def axe_violations():
    """Run axe-core on the page the browser shows; returns its violations."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/build_assets.sh (npm ci)", pytrace=False)
    source = AXE.read_text()

    def run(driver) -> list[dict]:
        driver.execute_script(source)
        result = driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ["violations"]})
              .then(results => done(results.violations))
              .catch(error => done([{id: "axe-error", help: String(error), nodes: []}]));
            """
        )
        return [
            {
                "id": violation["id"],
                "help": violation["help"],
                "nodes": [node.get("target") for node in violation["nodes"]],
            }
            for violation in result
        ]

    return run


# Collects the Content-Security-Policy violations of every page the browser opens.
_RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`
  );
});
"""


@pytest.fixture
def csp_violations(chromium):
    """Call after a page has loaded: the CSP violations it caused (the listener is
    installed before any script of every new document runs)."""
    added = chromium.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": _RECORD_CSP_VIOLATIONS}
    )

    def read() -> list[str]:
        return chromium.execute_script("return window.__cspViolations || [];")

    yield read
    chromium.execute_cdp_cmd(
        "Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]}
    )
