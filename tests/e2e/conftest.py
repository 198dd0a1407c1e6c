"""Browser fixtures: a real uvicorn server on a free port over seeded data, and headless Debian chromium."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn

from suara.runtime import Runtime
from suara.settings import Settings
from suara.web.app import create_app
from tests.web.test_pages import Seeded, seed_workspace

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Site:
    url: str
    seeded: Seeded


@contextmanager
def serve_app(rt: Runtime) -> Iterator[str]:
    """The app over this runtime served by uvicorn in a background thread; port 0 lets the OS pick a free port
    without a race. Yields its URL; stops the server on exit (the runtime stays open)."""
    server = uvicorn.Server(uvicorn.Config(create_app(runtime=rt), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The seeded workspace served by uvicorn."""
    rt = Runtime.open(Settings(data_dir=tmp_path_factory.mktemp("e2e") / "data"))
    seeded = seed_workspace(rt)
    with serve_app(rt) as url:
        yield Site(url, seeded)
    rt.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless chromium; missing is a skip on a developer machine and a failure on CI."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is required for the browser tests on CI (CI=true): apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
