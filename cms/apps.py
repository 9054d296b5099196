from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Consultation hub"

    def ready(self) -> None:
        # why: the handlers import models, which load only once the app registry is ready.
        from django.db.models.signals import post_delete, post_save
        from wagtail.models import Page
        from wagtail.signals import page_published, page_unpublished, post_page_move

        from cms import caching
        from consultations.models import PrivacyNotice
        from engagement.analysis.models import AnalysisRun, Theme
        from engagement.analysis.signals import summary_stored
        from engagement.record.models import Answer, Response
        from engagement.record.signals import responses_changed
        from search.services import responses_indexed

        # The cached public pages (cms/caching.py) go out of date with what they show. Wired
        # here, explicitly, beside the summaries' own invalidation (engagement.analysis.apps).
        def responses_changed_handler(sender, response_ids, **kwargs) -> None:
            caching.pages_invalidate_for_responses(response_ids=response_ids)

        def response_saved(sender, instance, **kwargs) -> None:
            caching.pages_invalidate_for_consultations(consultation_ids=[instance.consultation_id])

        def answer_saved(sender, instance, **kwargs) -> None:
            caching.pages_invalidate_for_responses(response_ids=[instance.response_id])

        def summary_changed(sender, consultation_id, **kwargs) -> None:
            # Recomputed in the background, after the change that invalidated the pages.
            caching.pages_invalidate_for_consultations(consultation_ids=[consultation_id])

        def site_changed(sender, **kwargs) -> None:
            # A page published, unpublished or moved can change every listing and link.
            caching.pages_invalidate(scopes=[caching.SITE])

        responses_changed.connect(
            responses_changed_handler, sender=Response, weak=False, dispatch_uid="pages-changed"
        )
        # The listing and search pages are drawn from the index, which follows the record
        # through the outbox: a page drawn between a change and its drain is out of date.
        responses_indexed.connect(
            responses_changed_handler, weak=False, dispatch_uid="pages-responses-indexed"
        )
        for signal, handler, model, uid in (
            (post_save, response_saved, Response, "pages-response-saved"),
            (post_delete, response_saved, Response, "pages-response-deleted"),
            (post_save, answer_saved, Answer, "pages-answer-saved"),
            (post_delete, answer_saved, Answer, "pages-answer-deleted"),
            # An analysis run (its themes and figures) and an analyst's theme edit.
            (post_save, response_saved, AnalysisRun, "pages-analysis-run"),
            (post_save, response_saved, Theme, "pages-theme-saved"),
            (post_delete, response_saved, Theme, "pages-theme-deleted"),
            (post_save, site_changed, PrivacyNotice, "pages-privacy-notice"),
            (post_delete, site_changed, Page, "pages-page-deleted"),
        ):
            signal.connect(handler, sender=model, weak=False, dispatch_uid=uid)
        summary_stored.connect(summary_changed, weak=False, dispatch_uid="pages-summary-stored")
        page_published.connect(site_changed, weak=False, dispatch_uid="pages-published")
        page_unpublished.connect(site_changed, weak=False, dispatch_uid="pages-unpublished")
        post_page_move.connect(site_changed, weak=False, dispatch_uid="pages-moved")
