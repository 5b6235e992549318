"""Showing user-derived text (column names, file names, engine messages) safely."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&])")


def md_escape(text: object) -> str:
    """Escape markdown (and so any HTML) so the text shows as itself in st.markdown / st.error."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))
