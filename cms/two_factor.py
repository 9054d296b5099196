"""Two-factor authentication for the Wagtail admin, with django-otp's TOTP devices.

Wagtail's log-in form checks the password; with ``HUB_ADMIN_2FA`` on (production),
``AdminTwoFactorMiddleware`` then keeps the user out of every admin page until they
confirm a one-time code from their authenticator app for this session. A user with
no authenticator yet enrols first: the hub shows a new key (and its QR code), and the
device counts only once a code from it was confirmed. Someone who knows only the
password can therefore never enrol a device of their own for an account that has one.
"""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

VERIFY_URL_NAME = "hub_2fa_verify"
ENROL_URL_NAME = "hub_2fa_enrol"
DEVICE_NAME = "Authenticator app"


class TokenForm(forms.Form):
    token = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label="Code from your authenticator app",
        error_messages={"invalid": "Enter the 6-digit code your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("wagtailadmin_home")


def _exempt_paths() -> tuple[str, ...]:
    return (
        reverse("wagtailadmin_login"),
        reverse("wagtailadmin_logout"),
        reverse(VERIFY_URL_NAME),
        reverse(ENROL_URL_NAME),
        reverse("wagtailadmin_password_reset"),
    )


class AdminTwoFactorMiddleware:
    """Sends a signed-in admin user who has not confirmed a code this session to do so."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.HUB_ADMIN_2FA and self._needs_code(request):
            target = VERIFY_URL_NAME if _confirmed_device(request.user) else ENROL_URL_NAME
            return HttpResponseRedirect(f"{reverse(target)}?{_query(next=request.get_full_path())}")
        return self.get_response(request)

    @staticmethod
    def _needs_code(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return False
        admin_root = reverse("wagtailadmin_home")
        path = request.path
        if not path.startswith(admin_root):
            return False
        return not any(path.startswith(exempt) for exempt in _exempt_paths())


def _query(**params) -> str:
    return urlencode(params)


def _signed_in_user(request):
    if not request.user.is_authenticated:
        return None
    return request.user


def verify_view(request):
    user = _signed_in_user(request)
    if user is None:
        return redirect("wagtailadmin_login")
    device = _confirmed_device(user)
    if device is None:
        return redirect(f"{reverse(ENROL_URL_NAME)}?{_query(next=_next_url(request))}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _details = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"].strip()):
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error(
            "token",
            "That code was not accepted."
            + ("" if allowed else " Too many wrong codes: wait a little, then try again."),
        )
    return TemplateResponse(
        request,
        "cms/two_factor.html",
        {"form": form, "next": _next_url(request), "enrolling": False},
    )


def enrol_view(request):
    user = _signed_in_user(request)
    if user is None:
        return redirect("wagtailadmin_login")
    if _confirmed_device(user) is not None:
        # A second device may only be added by someone who already proved the first.
        return redirect(f"{reverse(VERIFY_URL_NAME)}?{_query(next=_next_url(request))}")
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": DEVICE_NAME}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", "That code was not accepted: check the key and try again.")
    qr_code = segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="QR code of your authenticator key"
    )
    return TemplateResponse(
        request,
        "cms/two_factor.html",
        {
            "form": form,
            "next": _next_url(request),
            "enrolling": True,
            # segno writes the SVG from the key alone; nothing in it comes from the request.
            "qr_code": mark_safe(qr_code),  # noqa: S308
            "secret": _base32_key(device),
        },
    )


def _base32_key(device: TOTPDevice) -> str:
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))
