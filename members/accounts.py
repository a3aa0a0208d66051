"""django-allauth, adjusted: failed logins counted per client, and sign-up that takes the
same time whether or not the address already has an account."""

import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.utils import filter_users_by_email
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from core.emails import email_context


def user_display(user) -> str:
    """How allauth names the person in its pages and messages: their name, never the
    generated username (ACCOUNT_USER_DISPLAY)."""
    return user.get_full_name() or user.email or "A civicnet member"


def new_username(taken=None) -> str:
    """A username that says nothing about the person: it appears in directory addresses
    (/network/<username>/), and allauth's default is the start of the email address.

    taken(username) says whether one is in use (by default: a user has it); the data
    migration that renames older usernames passes its own."""
    if taken is None:
        users = get_user_model().objects

        def taken(name: str) -> bool:
            return users.filter(username=name).exists()

    while True:
        username = f"member-{secrets.token_hex(5)}"
        if not taken(username):
            return username


class AccountAdapter(DefaultAccountAdapter):
    def generate_unique_username(self, txts, regex=None) -> str:
        return new_username()

    def get_signup_redirect_url(self, request) -> str:
        """Confirming the address signs the person in (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION)
        and lands them on the welcome step."""
        return reverse("members:welcome")

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The `key` of the `login_failed` rate limit: (client address, account).

        allauth keys it on the account alone, so five wrong passwords from anywhere lock the
        real owner out. Keyed per client as well, an attacker only locks themselves out;
        the per-address limit (`/ip`) still caps how fast any one client can guess.
        """
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{self.get_client_ip(request)}|{account}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # The HTML parts extend the site's email layout, which needs site_name and site_url;
        # every message greets the person by name, also those allauth sends without a user
        # (the sign-in code).
        context = email_context(context)
        if "user" not in context:
            context["user"] = next(iter(filter_users_by_email(email, is_active=True)), None)
        super().send_mail(template_prefix, email, context)

    def render_mail(self, template_prefix, email, context, headers=None):
        """Every allauth email in the site's layout: those with no HTML template of their own
        get their plain text set in it (account/email/message.html)."""
        message = super().render_mail(template_prefix, email, context, headers)
        if isinstance(message, EmailMultiAlternatives) and not message.alternatives:
            html = render_to_string(
                "account/email/message.html",
                email_context({"body": message.body, "subject": message.subject}),
            )
            message.attach_alternative(html, "text/html")
        return message


class SignupForm(AllauthSignupForm):
    def try_save(self, request):
        if self.account_already_exists and self.cleaned_data.get("password1"):
            # A new account costs a password hash; without the same work here, a fast answer
            # would tell that the address is taken (allauth only equalises the response).
            make_password(self.cleaned_data["password1"])
        return super().try_save(request)


class LoginForm(AllauthLoginForm):
    """The header's words: "Log in", and no "Remember Me"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me logged in on this device"
