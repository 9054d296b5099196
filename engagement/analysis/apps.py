from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "engagement.analysis"
    label = "analysis"
    verbose_name = "Response analysis"

    def ready(self) -> None:
        # why: the handlers import models, which load only once the app registry is ready.
        from django.db.models.signals import post_delete, post_save
        from wagtail.signals import page_published

        from consultations.models import ConsultationPage
        from engagement.analysis import erasure, retention, summaries
        from engagement.record.models import Answer, Response
        from engagement.record.signals import (
            responses_changed,
            responses_erasing,
            retention_expiring,
        )

        # An erasure on request reaches the analysis' copies (embeddings, themes, campaigns).
        responses_erasing.connect(erasure.responses_erasing, dispatch_uid="analysis-erasing")
        # The retention schedule reaches the campaign groups' wording (original words).
        retention_expiring.connect(retention.retention_expiring, dispatch_uid="analysis-retention")

        # The stored public summary goes out of date with whatever its figures read; each
        # change is an addition (figures kept, served marked) or a removal (dropped):
        # see engagement/analysis/summaries.py.
        def responses_changed_handler(sender, response_ids, words_changed=False, **kwargs) -> None:
            summaries.summaries_invalidate_for_responses(
                response_ids=response_ids, words_changed=words_changed
            )

        def response_saved(sender, instance, created=False, update_fields=None, **kwargs) -> None:
            summaries.summaries_invalidate(
                consultation_ids=[instance.consultation_id],
                removal=not summaries.response_save_adds_only(
                    response=instance, created=created, update_fields=update_fields
                ),
            )

        def response_deleted(sender, instance, **kwargs) -> None:
            summaries.summaries_invalidate(
                consultation_ids=[instance.consultation_id], removal=True
            )

        def answer_saved(sender, instance, **kwargs) -> None:
            # Answers' words are never in the figures, only their choices (and whether a
            # response has anything to publish, which the quotes' check at serving covers).
            summaries.summaries_invalidate(
                consultation_ids=Response.objects.filter(pk=instance.response_id).values_list(
                    "consultation_id", flat=True
                ),
                removal=False,
            )

        def consultation_published(sender, instance, **kwargs) -> None:
            # Questions' and options' wording is the consultation's own, not respondents'.
            summaries.summaries_invalidate(consultation_ids=[instance.pk], removal=False)

        responses_changed.connect(
            responses_changed_handler, sender=Response, weak=False, dispatch_uid="summary-changed"
        )
        for signal, handler, model, uid in (
            (post_save, response_saved, Response, "summary-response-saved"),
            (post_delete, response_deleted, Response, "summary-response-deleted"),
            (post_save, answer_saved, Answer, "summary-answer-saved"),
            (post_delete, answer_saved, Answer, "summary-answer-deleted"),
        ):
            signal.connect(handler, sender=model, weak=False, dispatch_uid=uid)
        page_published.connect(
            consultation_published,
            sender=ConsultationPage,
            weak=False,
            dispatch_uid="summary-page-published",
        )
