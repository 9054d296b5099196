"""Admin: channel accounts (add, test connection) and deliveries (status, links, retry, delete, audit)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import InspectView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from connectors.crypto import CredentialsUnreadable
from connectors.exceptions import ConnectorError
from connectors.models import (
    ChannelAccount,
    CollectionState,
    Delivery,
    DeliveryStatus,
    QuarantinedPayload,
)
from connectors.outbound import error_reason
from connectors.registry import connector_class, connector_names
from connectors.selectors import delivered_posts_for, engagement_per_delivery
from connectors.services import channel_account_verify, delivery_delete_posts, delivery_retry
from consultations.models import department_ids_for_user
from consultations.permissions import (
    DepartmentScopedViewSetMixin,
    ReadOnlyPermissionPolicy,
    admin_next_url,
)

# --- Channel accounts ------------------------------------------------------------------


class ConnectionColumn(Column):
    cell_template_name = "connectors/admin/connection_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["test_url"] = reverse("connectors_channel_test", args=[instance.pk])
        request = parent_context.get("request")
        context["csrf_token"] = get_token(request) if request else ""
        expires = instance.credentials_expire_at
        context["credentials_expired"] = expires is not None and expires <= timezone.now()
        return context


class ChannelAccountViewSet(DepartmentScopedViewSetMixin, ModelViewSet):
    model = ChannelAccount
    icon = "globe"
    menu_label = "Channels"
    name = "channels"
    list_display = [
        "handle",
        "network",
        "department",
        "is_active",
        ConnectionColumn("connection", label="Connection"),
    ]
    list_filter = ["network", "department", "is_active"]
    search_fields = ["handle", "display_name"]

    def get_edit_handler(self):
        # Imported when the admin's URLs are built, not with the hooks at django.setup():
        # the form's fields come from every network's backend, and their client libraries
        # (about 50 MiB) are no business of a Celery worker or a command that never shows it.
        from connectors.forms import ChannelAccountForm

        return ObjectList(
            [
                *ChannelAccount.panels,
                MultiFieldPanel(
                    [FieldPanel(name) for name in ChannelAccountForm.declared_fields],
                    heading="Credentials (stored encrypted; fill in the ones for this network)",
                ),
            ],
            base_form_class=ChannelAccountForm,
        ).bind_to_model(self.model)


@require_POST
def channel_test_view(request, pk: int):
    channel = get_object_or_404(ChannelAccount, pk=pk)
    if not _can(request.user, "change", ChannelAccount, channel.department_id):
        raise PermissionDenied
    try:
        account = channel_account_verify(channel=channel)
    except (ConnectorError, CredentialsUnreadable) as error:
        messages.error(request, f"{channel}: the connection failed: {error_reason(error)}")
    else:
        messages.success(
            request,
            f"{channel}: connected as {account.handle} ({account.display_name or account.id}).",
        )
    return redirect(admin_next_url(request, default=reverse("channels:index")))


# --- Deliveries ---------------------------------------------------------------------------


class PostLinkColumn(Column):
    def get_value(self, instance):
        url = instance.first_url
        return (
            format_html('<a href="{}" target="_blank" rel="noopener">View post</a>', url)
            if url
            else "—"
        )


class DeliveryInspectView(InspectView):
    template_name = "connectors/admin/delivery_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        delivery = self.object
        context["posts"] = delivery.posts.order_by("position")
        context["events"] = delivery.events.select_related("actor")
        context["can_retry"] = delivery.status in (
            DeliveryStatus.FAILED,
            DeliveryStatus.PENDING,
            DeliveryStatus.SENDING,
        )
        context["can_delete"] = delivery.posts.filter(deleted_at__isnull=True).exists()
        context["retry_url"] = reverse("connectors_delivery_retry", args=[delivery.pk])
        context["delete_url"] = reverse("connectors_delivery_delete_posts", args=[delivery.pk])
        return context


class DeliveryViewSet(DepartmentScopedViewSetMixin, ModelViewSet):
    model = Delivery
    icon = "upload"
    menu_label = "Deliveries"
    name = "deliveries"
    inspect_view_enabled = True
    inspect_view_class = DeliveryInspectView
    list_display = [
        TitleColumn(
            "consultation",
            label="Consultation",
            get_url=lambda delivery: reverse("deliveries:inspect", args=[delivery.pk]),
        ),
        Column("channel", label="Channel"),
        "kind",
        "status",
        "attempts",
        PostLinkColumn("posts", label="Post"),
        DateColumn("due_at", label="Due", sort_key="due_at"),
        DateColumn("updated_at", label="Updated", sort_key="updated_at"),
    ]
    list_filter = ["status", "kind", "channel__network"]
    inspect_view_fields = [
        "consultation",
        "channel",
        "kind",
        # For a reply to a respondent: the response (by reference) it answers.
        "response",
        "status",
        "due_at",
        "attempts",
        "last_error",
        "triggered_by",
        "last_attempt_at",
        "retry_at",
        "delivered_at",
        "deleted_at",
    ]
    ordering = ["-updated_at"]
    # Never editable here (see ReadOnlyPermissionPolicy); Wagtail requires a form.
    form_fields = ["status"]


register_permission_policy(Delivery, ReadOnlyPermissionPolicy(Delivery))


def _can(user, action: str, model, department_id: int) -> bool:
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    permission = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
    return user.has_perm(permission) and department_id in department_ids_for_user(user)


def _delivery_action(request, pk: int, *, title: str, question: str, act):
    delivery = get_object_or_404(Delivery.objects.select_related("consultation", "channel"), pk=pk)
    # Retrying or deleting posts needs the right to view the delivery and change the channel.
    if not _can(request.user, "change", ChannelAccount, delivery.consultation.department_id):
        raise PermissionDenied
    inspect_url = reverse("deliveries:inspect", args=[delivery.pk])
    if request.method == "POST":
        try:
            act(delivery)
        except (ConnectorError, CredentialsUnreadable, ValueError) as error:
            messages.error(request, f"{title} failed: {error}")
        else:
            messages.success(request, f"{title}: done for {delivery}.")
        return redirect(inspect_url)
    return TemplateResponse(
        request,
        "connectors/admin/confirm_delivery_action.html",
        {"delivery": delivery, "title": title, "question": question, "cancel_url": inspect_url},
    )


def delivery_retry_view(request, pk: int):
    return _delivery_action(
        request,
        pk,
        title="Retry delivery",
        question="Try to post this again? If an earlier attempt may have posted, the hub checks the network first.",
        act=lambda delivery: delivery_retry(delivery_id=delivery.pk, triggered_by=request.user),
    )


def delivery_delete_posts_view(request, pk: int):
    return _delivery_action(
        request,
        pk,
        title="Delete posts",
        question="Delete every post of this delivery on the network? Replies people made stay on the network.",
        act=lambda delivery: delivery_delete_posts(
            delivery_id=delivery.pk, triggered_by=request.user
        ),
    )


# --- Collecting replies ---------------------------------------------------------------------


class CompletenessColumn(Column):
    def get_value(self, instance):
        if instance.incomplete_since is None:
            return "Complete" if instance.last_complete_at else "Not yet polled"
        since = timezone.localtime(instance.incomplete_since)
        return f"Incomplete since {since:%d %b %Y %H:%M}: {instance.incomplete_reason}"


class CollectionStateViewSet(DepartmentScopedViewSetMixin, ModelViewSet):
    """Where collecting replies stands per consultation and channel, gaps first."""

    model = CollectionState
    icon = "download"
    menu_label = "Collection"
    name = "collection"
    inspect_view_enabled = True
    list_display = [
        Column("consultation", label="Consultation"),
        Column("channel", label="Channel"),
        CompletenessColumn("incomplete_since", label="Record"),
        "collected",
        "posts_read",
        DateColumn("last_polled_at", label="Last poll", sort_key="last_polled_at"),
        DateColumn("next_poll_at", label="Next poll", sort_key="next_poll_at"),
    ]
    list_filter = ["channel__network"]
    inspect_view_fields = [
        "consultation",
        "channel",
        "incomplete_since",
        "incomplete_reason",
        "collected",
        "posts_read",
        "last_polled_at",
        "last_complete_at",
        "next_poll_at",
        "rate_limited_until",
        "last_error",
        "last_swept_at",
    ]
    ordering = ["incomplete_since", "-last_polled_at"]
    form_fields = ["incomplete_reason"]


class QuarantinedPayloadViewSet(DepartmentScopedViewSetMixin, ModelViewSet):
    """Payloads from the networks that failed validation: what came, and why it was refused."""

    model = QuarantinedPayload
    icon = "warning"
    menu_label = "Quarantine"
    name = "quarantine"
    inspect_view_enabled = True
    list_display = [
        TitleColumn(
            "error",
            label="Error",
            get_url=lambda item: reverse("quarantine:inspect", args=[item.pk]),
        ),
        "network",
        "route",
        Column("consultation", label="Consultation"),
        DateColumn("received_at", label="Received", sort_key="received_at"),
    ]
    list_filter = ["network"]
    inspect_view_fields = [
        "network",
        "route",
        "channel",
        "consultation",
        "received_at",
        "error",
        "payload",
    ]
    ordering = ["-received_at"]
    form_fields = ["error"]


register_permission_policy(CollectionState, ReadOnlyPermissionPolicy(CollectionState))
register_permission_policy(QuarantinedPayload, ReadOnlyPermissionPolicy(QuarantinedPayload))


class CrossPostingGroup(ViewSetGroup):
    items = (
        ChannelAccountViewSet,
        DeliveryViewSet,
        CollectionStateViewSet,
        QuarantinedPayloadViewSet,
    )
    menu_icon = "globe"
    menu_label = "Cross-posting"
    menu_name = "cross-posting"
    menu_order = 170


@hooks.register("register_admin_viewset")
def register_cross_posting_viewsets():
    return CrossPostingGroup()


@hooks.register("register_admin_urls")
def register_connector_admin_urls():
    return [
        path(
            "connectors/channels/<int:pk>/test/", channel_test_view, name="connectors_channel_test"
        ),
        path(
            "connectors/deliveries/<int:pk>/retry/",
            delivery_retry_view,
            name="connectors_delivery_retry",
        ),
        path(
            "connectors/deliveries/<int:pk>/delete-posts/",
            delivery_delete_posts_view,
            name="connectors_delivery_delete_posts",
        ),
    ]


# --- What connectors add to pages of the layers below (which never import connectors) ------


@hooks.register("consultation_page_context")
def add_delivered_posts(request, page):
    """The consultation's announcement on each network, for "how to respond"."""
    return {"delivered_posts": delivered_posts_for(page)}


@hooks.register("analysis_dashboard_context")
def add_engagement_per_delivery(consultation):
    return {"deliveries": engagement_per_delivery(consultation=consultation)}


@hooks.register("analysis_summary_context")
def add_public_engagement_per_post(consultation):
    return {"post_engagement": engagement_per_delivery(consultation=consultation)}


@hooks.register("consultation_video_url_check")
def check_consultation_video_url(url: str) -> str:
    """A consultation's video link must be one a network posting on videos recognises."""
    on_videos = [
        backend
        for backend in (connector_class(name) for name in connector_names())
        if backend.video_url_examples
    ]
    if not on_videos or any(backend.video_id_from_url(url) for backend in on_videos):
        return ""  # recognised, or no network here posts on videos (the link is only shown)
    examples = " or ".join(backend.video_url_examples for backend in on_videos)
    return f"Enter a video link in the correct format, like {examples}"
