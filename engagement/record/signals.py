"""What the record tells the layers above it; they connect in their ``AppConfig.ready()``.

The record never imports them (search, for one, sits above it): it only sends.
"""

from django.dispatch import Signal

# Sent with ``response_ids`` (a list of primary keys) after rows of the record were
# created or changed without a model ``save()`` (bulk creates and updates), in the
# transaction that changed them. Single saves send Django's own ``post_save``. A sender
# that rewrote words already published (a bulk redaction pass) adds ``words_changed=True``:
# a layer holding copies of published words must drop them, not keep them until it catches up.
responses_changed = Signal()

# Sent with ``scope`` (an ``engagement.record.erasure.ErasureScope``: the responses and
# the person's platform ids, handles and emails) and ``dry_run``, inside the erasure's
# transaction and BEFORE the record blanks its own rows, so a layer can still read what
# it must find in its copies. Each receiver erases its own copy (or, on a dry run,
# only counts it) and returns ``{store name: rows}`` for the audit trail. A receiver
# that raises rolls the whole erasure back: nothing is half-erased.
responses_erasing = Signal()

# Sent with ``step`` (an ``engagement.record.retention.RetentionStep``: a department, one
# of its consultations or none, and the kinds whose period ran out), inside the step's
# transaction and AFTER the record expired its own rows, so a layer can copy what the
# record now keeps. Each receiver expires its own copy and returns a list of
# ``RetentionCount`` for the audit trail. A dry run sends it too, then rolls back.
retention_expiring = Signal()
