"""Collecting citizens' replies into the record, and honouring deletions at the source.

Exactly once, resumably:

1. A poll of one consultation on one channel walks the connector's routes page
   by page (``Connector.fetch_replies``). Each page is fetched, recorded and its
   cursor saved in ONE transaction, holding the consultation's collection row
   lock: a worker killed mid-poll rolls back the page it was on, and the next
   poll fetches that page again from the cursor of the last commit.
2. The record is idempotent on ``(channel, external_id)``, so a reply reached by
   two routes (a thread and a mention) or fetched twice is stored once.
3. A budget or a limit that stops a poll before it caught up marks the
   collection "incomplete since …" with the reason; catching up clears it.

The package, by what each module does: ``scope`` (what to ask a network for, and
which replies belong to the consultation), ``recording`` (a page into the record,
bad payloads into quarantine), ``budgets`` (request and read budgets, intervals),
``polling`` (a poll, page by page, and beat's claim on it), ``sweep`` (deletions
and privacy changes at the source withdrawn from the record).
"""

from connectors.collection.outcomes import CollectOutcome, StopReason, SweepOutcome
from connectors.collection.polling import collection_claim, replies_collect
from connectors.collection.recording import payloads_quarantine
from connectors.collection.scope import collection_scope
from connectors.collection.sweep import responses_sweep

__all__ = [
    "CollectOutcome",
    "StopReason",
    "SweepOutcome",
    "collection_claim",
    "collection_scope",
    "payloads_quarantine",
    "replies_collect",
    "responses_sweep",
]
