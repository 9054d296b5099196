from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    label = "hubsearch"
    verbose_name = "Public search"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # why: models load only once the app registry is ready.
        from engagement.record.models import Answer, Response
        from engagement.record.signals import responses_changed
        from search import signals

        # Wired here, explicitly: every change of the record queues its row for the index
        # in the same transaction (modelsearch's own handlers are off for Response). Saves
        # send Django's signals; bulk writes send the record's responses_changed.
        post_save.connect(signals.response_saved, sender=Response, dispatch_uid="hubsearch-r-save")
        post_delete.connect(
            signals.response_deleted, sender=Response, dispatch_uid="hubsearch-r-delete"
        )
        post_save.connect(signals.answer_changed, sender=Answer, dispatch_uid="hubsearch-a-save")
        post_delete.connect(
            signals.answer_changed, sender=Answer, dispatch_uid="hubsearch-a-delete"
        )
        responses_changed.connect(
            signals.responses_changed, sender=Response, dispatch_uid="hubsearch-r-changed"
        )
