"""A throw-away Ray head on this machine (loopback only, no dashboard), for tests and benchmarks of the
Ray path of :mod:`deci_core.stability`: ``with local_ray_head() as address: ...``.

The head runs ``ray start --head --block`` in its own process group, on free ports, with a short temp
directory (Ray's socket paths have a length limit); leaving the block ends that group only, so other
Ray processes on the machine are never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PORT_OPTIONS = (
    "--port",
    "--dashboard-agent-listen-port",
    "--dashboard-agent-grpc-port",
    "--runtime-env-agent-port",
    "--metrics-export-port",
    "--node-manager-port",
    "--object-manager-port",
)


def ray_executable() -> Path | None:
    """The ``ray`` command beside this Python, or None when Ray is not installed."""
    ray = Path(sys.executable).with_name("ray")
    return ray if ray.exists() else None


@contextmanager
def local_ray_head(num_cpus: int = 2, start_timeout_s: float = 90.0) -> Iterator[str]:
    """Start a local head, yield its address ``"127.0.0.1:PORT"``, stop it on exit.

    Raises:
        RuntimeError: Ray is not installed, or the head did not listen within ``start_timeout_s``
            (the message carries the head's output).
    """
    ray = ray_executable()
    if ray is None:
        raise RuntimeError("Ray is not installed in this environment.")
    ports = _free_ports(len(PORT_OPTIONS))
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")
    command = [str(ray), "start", "--head", "--block", "--num-cpus", str(num_cpus)]
    command += ["--node-ip-address", "127.0.0.1", "--include-dashboard", "false"]
    for option, port in zip(PORT_OPTIONS, ports, strict=True):
        command += [option, str(port)]
    command += ["--temp-dir", temp, "--disable-usage-stats"]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.time() + start_timeout_s
        while not _listening(ports[0]):
            if proc.poll() is not None or time.time() > deadline:
                _stop_group(proc)
                output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                raise RuntimeError(f"The Ray head did not start: {output[-2000:]}")
            time.sleep(0.5)
        yield f"127.0.0.1:{ports[0]}"
    finally:
        _stop_group(proc)
        shutil.rmtree(temp, ignore_errors=True)


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
