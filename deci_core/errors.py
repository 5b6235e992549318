"""Typed errors a user can act on. Each message says what went wrong and what to do.

Everything here derives from :class:`DeciError`, so the app catches one type to show the
engine's message as-is, and treats anything else as a bug.
"""


class DeciError(Exception):
    """Base class for expected, user-actionable errors raised by deci_core."""


class DataError(DeciError):
    """The table cannot be used as given (missing values, bad types, unreadable file...)."""


class ConstraintError(DeciError):
    """Domain-knowledge constraints are malformed, contradictory or name unknown variables."""


class ConfigError(DeciError):
    """A configuration has unknown keys or values out of range."""


class NotFittedError(DeciError):
    """A method that needs a fitted model was called before ``fit``."""


class ModelFileError(DeciError):
    """A saved model or bundle is missing, corrupted, foreign or of an unsupported version."""


class GraphError(DeciError):
    """A graph is cyclic, names unknown variables, or cannot be parsed."""


class FitCancelled(DeciError):
    """Training was cancelled by a callback; the model was left unfitted."""
