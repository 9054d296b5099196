from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    label = "hubsearch"
    verbose_name = "Public search"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # why: models load only once the app registry is ready.
        from engagement.analysis.models import ResponseAnalysis, Theme, ThemeMembership
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
        # Theme and sentiment are facets counted by the search node: the index documents
        # carry them, so the analysis's changes are queued like the record's.
        for model in (ResponseAnalysis, ThemeMembership):
            post_save.connect(
                signals.analysis_changed, sender=model, dispatch_uid=f"hubsearch-{model.__name__}-s"
            )
            post_delete.connect(
                signals.analysis_changed, sender=model, dispatch_uid=f"hubsearch-{model.__name__}-d"
            )
        post_save.connect(signals.theme_saved, sender=Theme, dispatch_uid="hubsearch-theme-save")
