"""The one JSON helper: numpy values -> plain Python values, for every file, bundle and CLI output."""

from __future__ import annotations

from typing import Any

import numpy as np


def to_plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, arrays and tuples -> lists; anything else unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return [to_plain(v) for v in value]
    return value


def json_default(value: Any) -> Any:
    """``json.dumps(..., default=json_default)``: numpy values as plain ones, anything else as text."""
    plain = to_plain(value)
    return str(value) if plain is value else plain
