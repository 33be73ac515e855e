"""A real JupyterLab server for browser tests (python playwright drives Debian's Chromium against it).

:func:`jupyterlab` starts JupyterLab on 127.0.0.1 (free port, token, temporary workspaces and settings: windowing
mode "none", no news toast) on a folder holding copies of the given notebooks, and stops its kernels and the server
on exit. :func:`open_notebook` opens one in a fresh workspace and waits for its kernel; :func:`run_all` runs every
cell from the Run menu (retrying when the kernel was not connected yet). Recipe and gotchas:
notebook-toolchain.md section 4.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from .browser_support import require_chromium


@dataclass(frozen=True)
class Lab:
    base: str
    token: str
    root: Path

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"{self.base}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def url(self, notebook: str) -> str:
        """A fresh workspace on ``notebook`` (``?reset``: JupyterLab's default layout)."""
        return f"{self.base}/lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/{notebook}?reset&token={self.token}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(tmp_path: Path, notebooks, windowing: str | None = "none"):
    """A JupyterLab server on copies of ``notebooks`` (paths) in ``tmp_path/nb``; yields a :class:`Lab`.
    ``windowing``: the notebook's windowing mode ("none": every cell laid out; None: JupyterLab's default,
    "contentVisibility", in which the browser skips laying out cells off screen, as an analyst's JupyterLab does)."""
    require_chromium()
    root = tmp_path / "nb"
    root.mkdir()
    for nb in notebooks:
        shutil.copy(nb, root / Path(nb).name)
    settings = tmp_path / "user-settings"
    tracker = {} if windowing is None else {"windowingMode": windowing}
    for rel, doc in {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": tracker,
                     "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                                          "checkForUpdates": False}
                     }.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(doc))
    config = tmp_path / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    port, token = _free_port(), uuid.uuid4().hex
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "IPYTHONDIR": str(tmp_path / "ipython"), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip", "127.0.0.1", "--port",
         str(port), f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", f"--LabApp.user_settings_dir={settings}"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, root)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                lab.api("/api/status")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start: {(tmp_path / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield lab
    finally:
        try:                                          # kernels outlive pages: end the sessions explicitly
            for s in lab.api("/api/sessions") or []:
                lab.api(f"/api/sessions/{s['id']}", "DELETE")
        except OSError:
            pass
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)               # jupyter asks to confirm on the first ^C
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=15)
        try:
            os.killpg(proc.pid, signal.SIGKILL)       # anything the server left in its own process group
        except (ProcessLookupError, PermissionError):
            pass
        log.close()


SIDE_PANEL_OPEN = "() => { const p = document.querySelector('#jp-left-stack'); " \
                  "return !!p && !p.classList.contains('lm-mod-hidden') && p.getBoundingClientRect().width > 100; }"


def open_notebook(page, lab: Lab, notebook: str, *, file_browser: bool = False) -> None:
    """Open ``notebook`` in a fresh workspace and wait until its kernel is idle and connected; ``file_browser``:
    with the left side panel showing the file browser (as JupyterLab opens for a new user), else with it closed."""
    page.goto(lab.url(notebook))
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(state="attached")
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(state="attached")
    no = page.locator(".jp-toast-button", has_text="No")
    if no.count():
        no.first.click()
    # the kernel must be connected, not just the indicator drawn: Run All before that clears every cell and runs
    # nothing (seen), so wait for the status bar too
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(state="attached")
    if page.evaluate(SIDE_PANEL_OPEN) != file_browser:
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='filebrowser']").first.click()
        page.wait_for_function(SIDE_PANEL_OPEN if file_browser else f"() => !({SIDE_PANEL_OPEN})()")


def run_all(page, ready: str, timeout_ms: int = 60_000) -> int:
    """Run every cell from the Run menu until the selector ``ready`` is attached (retrying when the kernel was not
    connected yet: the first Run All can run nothing); returns the number of attempts."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415
    for attempt in range(1, 4):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-item[data-command='runmenu:run-all']").first.click()
        try:
            page.locator(ready).first.wait_for(state="attached", timeout=timeout_ms * attempt)
            return attempt
        except PlaywrightTimeout:
            if attempt == 3:
                raise
            page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(state="attached")
    return 3
