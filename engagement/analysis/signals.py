"""Signals the analysis sends to the layers above it."""

from django.dispatch import Signal

# New public summary figures were stored for a consultation (``consultation_id``): what
# shows them (the cached public pages, cms.apps) goes out of date.
summary_stored = Signal()
