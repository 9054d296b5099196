"""What people said and what became of it, as four apps, lowest layer first.

``record`` (responses and their one writing service), ``moderation`` (redaction,
screening, moderators' decisions), ``analysis`` (sentiment, themes, summaries) and
``opendata`` (exports and the API). See docs/adr/0006-app-layers.md.
"""
