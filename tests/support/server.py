"""The real `media-stream serve` in a subprocess on a free loopback port, for tests.

`RunningServer` starts the console entry point with the given environment, waits until
`/health/ready` answers, and always stops the process (SIGTERM, then SIGKILL) on exit.

For the tests of signals and reloads it also exposes the process: `pid`, `send_signal(sig)`,
`wait(timeout)` for its exit status, an environment file (`env_file=`, passed as ENV_FILE:
unlike the process environment, the server reads it again on reload), and `log_records()`,
the JSON log lines written so far.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningServer:
    """`with RunningServer(env, log_path) as server: httpx.get(server.url("/health/live"))`."""

    def __init__(self, env: dict[str, str], log_path: Path, *, env_file: Path | None = None):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._env = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        if env_file is not None:
            self._env["ENV_FILE"] = str(env_file)
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> RunningServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        log = self._log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli.main", "serve"],
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its render processes share its group: see `reap_group`
        )
        log.close()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> int | None:
        process, self._process = self._process, None
        return None if process is None else stopped(process)

    @property
    def pid(self) -> int:
        """The server process's id (while it runs)."""
        if self._process is None:
            raise RuntimeError("the server is not running")
        return self._process.pid

    def send_signal(self, sig: signal.Signals) -> None:
        if self._process is None:
            raise RuntimeError("the server is not running")
        self._process.send_signal(sig)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """The exit status, once the process has ended (TimeoutExpired if it does not)."""
        if self._process is None:
            raise RuntimeError("the server was not started")
        return self._process.wait(timeout)

    def log_records(self) -> list[dict[str, object]]:
        """The JSON log lines written so far (other lines skipped)."""
        records = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return records

    def rss_bytes(self) -> int:
        """The server process's resident memory now (VmRSS in /proc/<pid>/status)."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_text(self) -> str:
        return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"server exited during start-up:\n{self.log_text()}")
            try:
                if httpx.get(self.url("/health/ready"), timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {START_TIMEOUT}s:\n{self.log_text()}")


def stopped(process: subprocess.Popen[bytes]) -> int | None:
    """Stop `process` (SIGTERM, then SIGKILL after STOP_TIMEOUT) and what is left of its
    group; answers its exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
    reap_group(process.pid)
    return process.returncode


def reap_group(leader: int) -> None:
    """End what is left of a stopped (or SIGKILLed) process's group: render processes and
    resource trackers outlive a killed parent, and would load the machine for later tests."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signal.SIGKILL)


class RunningWorker:
    """`with RunningWorker(env, log_path) as worker:` a `media-stream worker` process, ready
    once it logged so (it takes jobs from then on); stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, env: dict[str, str], log_path: Path, *arguments: str) -> None:
        self._env = {**os.environ, **env, "LOG_LEVEL": "info"}
        self._log_path = log_path
        self._arguments = arguments
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RunningWorker:
        log = self._log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli.main", "worker", *self._arguments],
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its worker processes share its group: see `reap_group`
        )
        log.close()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def kill(self) -> None:
        """SIGKILL: the process ends at once, whatever it was doing."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(STOP_TIMEOUT)

    def stop(self) -> int | None:
        process, self._process = self._process, None
        return None if process is None else stopped(process)

    def log_text(self) -> str:
        return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"worker exited during start-up:\n{self.log_text()}")
            if "worker ready" in self.log_text():
                return
            time.sleep(0.05)
        raise RuntimeError(f"worker not ready within {START_TIMEOUT}s:\n{self.log_text()}")


def media_stream(
    env: dict[str, str], *arguments: str, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Run one `media-stream` command to its end; its output and exit status."""
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", *arguments],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
