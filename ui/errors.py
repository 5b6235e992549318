"""One error boundary for every engine call made from a page."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from deci_core.errors import DeciError, ModelFileError
from ui.text import md_escape

log = logging.getLogger("deci_studio")


def reference_id() -> str:
    """A short id shown to the user and written to the log next to the traceback."""
    return uuid.uuid4().hex[:8]


def describe_unexpected(action: str, exc: BaseException) -> str:
    """Log an unexpected exception and return the apology the user sees."""
    ref = reference_id()
    log.error("unexpected error while %s [ref %s]", action, ref, exc_info=exc)
    return (
        f"Sorry, something went wrong while {action}. Your work is kept. (Reference {ref} in the server log.)"
    )


@contextmanager
def error_boundary(action: str) -> Iterator[None]:
    """Show expected errors with the engine's message, unexpected ones as a short apology.

    Messages name user columns, so they are markdown-escaped (a name never renders as markup).
    Catches ``Exception`` only: Streamlit stops and reruns scripts by raising BaseExceptions.
    """
    try:
        yield
    except DeciError as exc:
        st.error(md_escape(f"Could not finish {action}: {exc}"))
    except Exception as exc:  # noqa: BLE001 - the boundary is the point
        st.error(md_escape(describe_unexpected(action, exc)))


class BundleError(ModelFileError):
    """The file is not a usable DECI Studio bundle (the message says why and what to do)."""
