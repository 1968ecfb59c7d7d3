"""`pcs app`: the scenario planner served as a web page for people who do not write code.

`notebooks/scenario_planner.ipynb` is prepared with the partner's parameters (papermill injects
them, nothing runs) into a folder of its own, and Voilà serves it on 127.0.0.1 with a token:
widgets and markdown only, no code cell shown. The page runs the notebook in a kernel when it is
opened; each control rescores at once.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pcs_analysis.config import PROJECT_DIR
from pcs_analysis.errors import PcsError

NOTEBOOK = PROJECT_DIR / "notebooks" / "scenario_planner.ipynb"
HOST = "127.0.0.1"
#: The page loads nothing from elsewhere: Voilà's template links icon fonts and scripts on
#: public CDNs, which a browser without internet (or behind a firewall that drops them) would
#: wait for before drawing the page. The browser refuses them at once.
POLICY = "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; frame-ancestors 'self'"


@dataclass(frozen=True)
class App:
    """A running planner page: its address (with the token) and the server process."""

    url: str
    process: subprocess.Popen
    #: Voilà's own log (the server's messages)
    log: Path


def prepare(folder: Path, *, data_dir: Path, partner_id: str, as_of: dt.date, rules_version: str | None,
            save_to: Path) -> Path:
    """The planner notebook with the parameters injected (not executed), in `folder`."""
    import papermill

    target = folder / NOTEBOOK.name
    papermill.execute_notebook(str(NOTEBOOK), str(target), prepare_only=True, progress_bar=False,
                               parameters={"data_dir": str(Path(data_dir).resolve()), "as_of": as_of.isoformat(),
                                           "rules_version": rules_version or "", "partner_id": str(partner_id),
                                           "save_to": str(save_to.resolve())})
    return target


@contextmanager
def serve(*, data_dir: Path, partner_id: str, as_of: dt.date, rules_version: str | None = None,
          save_to: Path = Path("scenario.toml"), port: int | None = None) -> Iterator[App]:
    """Voilà serving the prepared planner on 127.0.0.1 with a fresh token, until the context ends
    (the server is stopped and its folder removed)."""
    voila = shutil.which("voila", path=str(Path(sys.executable).parent)) or shutil.which("voila")
    if voila is None:
        raise PcsError("pcs app needs Voilà (pip install voila), which is not installed")
    port = port or _free_port()
    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="pcs-app-") as folder:
        notebook = prepare(Path(folder), data_dir=data_dir, partner_id=partner_id, as_of=as_of,
                           rules_version=rules_version, save_to=save_to)
        log = Path(folder) / "voila.log"
        with log.open("w") as sink:
            process = subprocess.Popen(
                [voila, str(notebook), "--no-browser", f"--Voila.ip={HOST}", f"--port={port}", f"--token={token}",
                 "--VoilaConfiguration.show_tracebacks=False", "--strip_sources=True",
                 "--Voila.tornado_settings=" + json.dumps({"headers": {"Content-Security-Policy": POLICY}})],
                cwd=folder, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            yield App(url=f"http://{HOST}:{port}/?token={token}", process=process, log=log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_up(app: App, seconds: float = 60.0) -> None:
    """Block until the server accepts connections; a clear error when it ended first."""
    import time

    host, port = app.url.split("//")[1].split("/")[0].split(":")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            output = app.log.read_text(errors="replace") if app.log.exists() else ""
            raise PcsError(f"Voilà ended before serving the planner: {output[-2000:]}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((host, int(port))) == 0:
                return
        time.sleep(0.2)
    raise PcsError(f"Voilà did not answer on {host}:{port} within {seconds:.0f} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]
