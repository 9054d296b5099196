"""What can go wrong when talking to a network, in terms the delivery service acts on.

Backends translate their client library's exceptions into these; nothing
outside ``connectors/backends/`` sees tweepy, Mastodon.py or atproto errors.
"""

from __future__ import annotations

from datetime import datetime


class ConnectorError(Exception):
    """Base class: something went wrong talking to a network."""


class TransientError(ConnectorError):
    """The request failed and did not take effect; trying again later may work (5xx, refused)."""


class OutcomeUnknown(TransientError):
    """The request may or may not have taken effect (dropped connection, timeout after sending).

    Before writing again, the caller must look for what the first attempt may have written.
    """


class RateLimited(TransientError):
    """The network refused the request until ``reset_at`` (UTC); nothing was written."""

    def __init__(self, reset_at: datetime, message: str = "") -> None:
        self.reset_at = reset_at
        super().__init__(message or f"rate limited until {reset_at.isoformat()}")


class PermanentError(ConnectorError):
    """Retrying the same request cannot succeed (bad credentials, text too long, duplicate)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class NotFound(PermanentError):
    """What the request needs is not on the network (deleted, or never there).

    Callers that expect it (deleting a post twice, a thread whose root is gone) catch
    this rather than looking at the client library's exception behind it.
    """
