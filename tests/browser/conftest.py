"""Browser fixtures: a live server process and Debian's chromium through Playwright.

    async def test_home(live_server, page, make_tenant):
        tenant = await make_tenant()
        await open_tenant(page, live_server, tenant)        # waits for the tenant cache
        await screenshot(page, "home")
        await check_axe(page)                                # no serious/critical issues

The server is a separate ``uvicorn`` *process* (not a thread) serving
``leadermail.app:create_app`` against the test database from the ``settings``
fixture: the app's async engine then lives on the server's own event loop, and
the tests keep the pytest session loop for themselves (``make_tenant``, domain
calls in ``tenant_session``). The server's tenant directory caches tenants for
5 s, so a tenant created by a test appears there within that time;
``open_tenant`` waits for it.

Chromium is Debian's ``/usr/bin/chromium``; Playwright never downloads a browser.
Screenshots go to ``test-artifacts/screenshots/`` (gitignored).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from leadermail.platform.config import PROJECT_ROOT, Settings
from leadermail.tenants.registry import TenantRef
from tests.conftest import TEST_SECRET

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: The tenant directory of the server process reloads every 5 s.
TENANT_CACHE_SECONDS = 5.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"live server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"live server did not answer at {url} within {timeout} s")


def live_server_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for a server process on the test database (reused by bench-like tests)."""
    assert settings.database_url and settings.redis_url
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": settings.redis_url,
            "SECRET_KEY": TEST_SECRET,
            "LEADERMAIL_VAR_DIR": str(settings.var_dir),
            "UPLOAD_DIR": str(settings.upload_dir),
            "PLATFORM_HOST": "127.0.0.1",
            "LEADERMAIL_ENV": "test",
        }
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def live_server(migrated: Settings) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of a uvicorn process on the test database."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = PROJECT_ROOT / "test-artifacts" / "live-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = live_server_env(migrated, BASE_URL=base_url)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "leadermail.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(base_url + "/", process)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session", autouse=True)
async def _fresh_rate_limits(context) -> None:  # noqa: ANN001
    """Tenant ids restart with each fresh test database but the test Redis
    lives on: forget earlier runs' rate-limit counters."""
    async for key in context.redis.scan_iter(match="lm:rl:*"):
        await context.redis.delete(key)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Headless Debian chromium (never a downloaded one)."""
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        await instance.close()


async def new_context(
    browser: Browser, *, javascript: bool = True, mobile: bool = False
) -> BrowserContext:
    viewport = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
    return await browser.new_context(
        java_script_enabled=javascript,
        locale="zh-CN",
        viewport=viewport,  # type: ignore[arg-type]
    )


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser context (own cookies) with JavaScript on."""
    context = await new_context(browser)
    page = await context.new_page()
    yield page
    await context.close()


@pytest.fixture
async def nojs_page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser context with JavaScript disabled."""
    context = await new_context(browser, javascript=False)
    page = await context.new_page()
    yield page
    await context.close()


def tenant_base(live_server: str, tenant: TenantRef) -> str:
    return f"{live_server}/t/{tenant.slug}"


async def open_tenant(page: Page, live_server: str, tenant: TenantRef, path: str = "/") -> None:
    """Go to ``path`` on the tenant's site, waiting for the server's tenant cache."""
    url = tenant_base(live_server, tenant) + path
    deadline = time.monotonic() + TENANT_CACHE_SECONDS + 5
    while True:
        response = await page.goto(url)
        if response is not None and response.status != 404:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} still 404 after waiting for the tenant cache")
        await asyncio.sleep(0.5)


async def screenshot(page: Page, name: str) -> Path:
    """Full-page screenshot kept as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def check_axe(
    page: Page, *, impacts: tuple[str, ...] = ("serious", "critical")
) -> list[dict]:
    """Run axe-core on the page; fail on violations of the given impacts.

    The script is evaluated through the DevTools protocol (``page.evaluate``),
    which the page's CSP (``script-src 'self'``) does not apply to, so the page
    is tested exactly as served. Returns all violations (for printing).
    """
    await page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;void 0")
    result = await page.evaluate("async () => await axe.run(document)")
    violations = result["violations"]
    bad = [v for v in violations if v.get("impact") in impacts]
    assert not bad, json.dumps(
        [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in bad
        ],
        ensure_ascii=False,
        indent=1,
    )
    return violations
