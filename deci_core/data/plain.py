"""The one JSON helper: numpy values -> plain Python values, for every file, bundle and CLI output."""

from __future__ import annotations

import math
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


def finite_or_none(value: Any) -> Any:
    """NaN / inf -> None, recursively through dicts, lists and tuples, so output is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    return value
