"""One demo stack per test session (anvil + contracts + `libledger demo` + uvicorn), and Debian's
Chromium driven by Playwright (the system browser: nothing is downloaded)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console.stack import DemoStack, demo_stack

CHROMIUM = os.environ.get("LIBLEDGER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    with demo_stack(tmp_path_factory.mktemp("console-stack")) as s:
        yield s


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser(stack: DemoStack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: `make browser` installs Debian's chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def sign_in(browser: Any, stack: DemoStack) -> Iterator[Callable[..., Any]]:
    """``sign_in(role, lang="zh_CN")`` → a Playwright page signed in through the login form."""
    contexts: list[Any] = []

    def go(role: str, lang: str = "zh_CN") -> Any:
        ctx = browser.new_context(base_url=stack.url, viewport={"width": 1280, "height": 900}, locale="zh-CN")
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("dialog", lambda d: d.accept())
        page.goto("/console/login")
        if lang != "zh_CN":
            page.click("#lang-switch")
            page.wait_for_url("**/console/login")
        page.fill("#token", stack.token(role))
        page.click("#sign-in")
        page.wait_for_url("**/console/")
        return page

    yield go
    for c in contexts:
        c.close()


def http_client(stack: DemoStack, role: str | None = None) -> httpx.Client:
    """A plain HTTP client with the console's cookies (signed in as ``role`` when given)."""
    c = httpx.Client(base_url=stack.url, timeout=60)
    c.get("/console/login")
    if role:
        r = c.post("/console/login", data={"token": stack.token(role), "csrf": c.cookies.get("ll_csrf")})
        assert r.status_code == 303, r.text
    return c
