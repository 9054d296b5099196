"""Moderation: redaction and screening (pure), moderators' decisions, the inbox."""
