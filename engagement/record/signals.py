"""What the record tells the layers above it; they connect in their ``AppConfig.ready()``.

The record never imports them (search, for one, sits above it): it only sends.
"""

from django.dispatch import Signal

# Sent with ``response_ids`` (a list of primary keys) after rows of the record were
# created or changed without a model ``save()`` (bulk creates and updates), in the
# transaction that changed them. Single saves send Django's own ``post_save``.
responses_changed = Signal()
