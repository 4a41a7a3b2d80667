"""Browser tests' plumbing: a real server on a loopback port and Debian's Chromium.

Playwright drives ``/usr/bin/chromium`` (``REVIEWFLOW_CHROMIUM`` names another); it never
downloads a browser. Without Chromium the browser tests skip, unless
``REVIEWFLOW_REQUIRE_BROWSER=1`` (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    path = os.environ.get("REVIEWFLOW_CHROMIUM") or shutil.which("chromium") or ""
    if not path or not Path(path).exists():
        if os.environ.get("REVIEWFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail("REVIEWFLOW_REQUIRE_BROWSER=1 but no chromium (apt-get install chromium)")
        pytest.skip("no Chromium (apt-get install chromium) for browser tests")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(root: Path, *, demo_sign_in: bool = False) -> Iterator[str]:
    """The app for ``root`` served by uvicorn in a thread; yields its base URL."""
    import uvicorn

    from reviewflow.web import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(root, demo_sign_in=demo_sign_in),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright's Browser) for the test."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def signed_in_page(
    browser: Any,
    base: str,
    initials: str,
    password: str,
    *,
    slug: str = "review",
    width: int = 1366,
    height: int = 768,
) -> Any:
    """A new browser context (its own cookies) signed in as ``initials``."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{base}/p/{slug}/login")
    page.fill("input[name=login]", initials)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_url(f"{base}/p/{slug}/**")
    return page
