"""Headless Chromium for tests (Debian's /usr/bin/chromium driven by Python playwright).

Outside CI a missing Chromium skips the test with the install command; with CI=true it fails instead.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

import pytest

CHROMIUM = os.environ.get("DECISION_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_chromium() -> None:
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return
    msg = f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium chromium-driver`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg)
    pytest.skip(msg)


@contextlib.contextmanager
def chromium(viewport=(1200, 1400)):
    """A fresh persistent browser context (own temporary profile), closed on exit."""
    require_chromium()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415
    profile = tempfile.mkdtemp(prefix="decision-chromium-")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=ARGS,
                                                   viewport={"width": viewport[0], "height": viewport[1]})
        try:
            yield ctx
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)
