"""Background jobs: a worker thread that never calls Streamlit, polled by the page.

A synchronous loop in the script is killed by the first click (see UI-NOTES §1.5), so long
work (training, refits, many effects) runs in a daemon thread. The worker reports through
``report(fraction, message, **payload)`` and checks ``should_stop()``; the page shows
``job.progress`` / ``job.message`` inside an ``st.fragment(run_every=...)``. A cancelled job
publishes no result.

Torch's intra-op thread pool is process-wide. The server runs page scripts, several jobs and other
sessions at once, and torch threads that wait on each other under such load made an effect query
40x slower (15 s instead of 0.35 s on 2 cores), so jobs use the engine's per-fit thread count for
everything they run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deci_core.config import TrainingConfig
from deci_core.errors import DeciError, FitCancelled
from deci_core.training.threads import torch_threads
from ui.errors import describe_unexpected


@dataclass
class Job:
    """Progress and outcome of one background task (written by the worker, read by the page)."""

    name: str
    progress: float = 0.0
    message: str = "queued"
    payloads: list[dict[str, Any]] = field(default_factory=list)
    result: Any = None
    error: str | None = None
    cancelled: bool = False
    done: bool = False
    started: float = field(default_factory=time.time)
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return not self.done

    @property
    def elapsed_s(self) -> float:
        return (self.finished or time.time()) - self.started

    def cancel(self) -> None:
        """Ask the worker to stop at its next check; it then publishes nothing."""
        self.cancel_event.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the worker (tests use this: AppTest does not fire polling timers)."""
        if self.thread is not None:
            self.thread.join(timeout)


def start_job(name: str, fn: Callable[..., Any], /, **kwargs: Any) -> Job:
    """Run ``fn(report=..., should_stop=..., **kwargs)`` in a daemon thread and return its Job."""
    job = Job(name)

    def report(fraction: float, message: str, **payload: Any) -> None:
        job.progress, job.message = min(max(float(fraction), 0.0), 1.0), message
        if payload:
            job.payloads.append(payload)

    def run() -> None:
        try:
            with torch_threads(TrainingConfig().threads):
                result = fn(report=report, should_stop=job.cancel_event.is_set, **kwargs)
            if job.cancel_event.is_set():
                job.cancelled, job.message = True, "cancelled"
            else:
                job.result, job.progress, job.message = result, 1.0, "finished"
        except FitCancelled:
            job.cancelled, job.message = True, "cancelled"
        except DeciError as exc:
            job.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - surfaced to the page, never lost
            job.error = describe_unexpected(name, exc)
        finally:
            job.finished, job.done = time.time(), True

    job.thread = threading.Thread(target=run, name=f"deci-job-{name}", daemon=True)
    job.thread.start()
    return job
