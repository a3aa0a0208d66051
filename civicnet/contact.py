"""The contact form: the message kept for staff, emailed to those who may read it, limited per
client. ContactPage (civicnet.models) is the editable page that serves it at /contact/."""

import logging

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control

from core.emails import send_site_email
from core.tasks import enqueue_on_commit
from core.throttle import client_address, throttle_allow

logger = logging.getLogger(__name__)
READ_PERMISSION = "civicnet.view_contactmessage"
SEND_CONTACT_MESSAGE = (
    "civicnet.send_contact_message"  # the task that sends the emails (core.tasks.enqueue)
)
CONTACT_MESSAGES_PER_HOUR = 5


class ContactMessage(models.Model):
    """One message sent through the contact form."""

    class Topic(models.TextChoices):
        MEMBERSHIP = "membership", "Membership and billing"
        EVENTS = "events", "Events and National Meetings"
        VITALS = "vitals", "City Vitals data"
        PRESS = "press", "Press and partnerships"
        PRIVACY = "privacy", "Privacy and my data"
        OTHER = "other", "Something else"

    name = models.CharField(max_length=150)
    email = models.EmailField()
    topic = models.CharField(max_length=16, choices=Topic.choices, default=Topic.OTHER)
    message = models.TextField(max_length=5000)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set once the staff email went out: a task run twice sends it once.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "civicnet"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} <{self.email}>: {self.get_topic_display()}"


class ContactForm(forms.ModelForm):
    # Bots fill every field; people never see this one.
    website = forms.CharField(
        required=False,
        max_length=200,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    class Meta:
        model = ContactMessage
        fields = ["name", "email", "topic", "message"]
        labels = {"name": "Your name", "email": "Your email address", "topic": "About"}
        widgets = {"message": forms.Textarea(attrs={"rows": 7})}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise forms.ValidationError("Leave the last field empty: it is there to stop robots.")
        return cleaned


# --- Services ------------------------------------------------------------------------------
def contact_message_readers():
    User = get_user_model()
    return (
        User.objects.with_perm(
            READ_PERMISSION,
            include_superusers=True,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .filter(is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


@transaction.atomic
def contact_message_create(*, name: str, email: str, topic: str, message: str, user=None):
    contact_message = ContactMessage.objects.create(
        name=name.strip(),
        email=email.strip(),
        topic=topic,
        message=message.strip(),
        user=user if user is not None and user.is_authenticated else None,
    )
    enqueue_on_commit(SEND_CONTACT_MESSAGE, contact_message.pk)
    return contact_message


def contact_message_send(*, contact_message_id: int) -> bool:
    """Email a message to the staff who read them, once; False when already sent."""
    with transaction.atomic():
        contact_message = (
            ContactMessage.objects.select_for_update()
            .filter(pk=contact_message_id, emailed_at=None)
            .first()
        )
        if contact_message is None:
            return False
        readers = list(contact_message_readers().values_list("email", flat=True))
        if not readers:
            logger.warning(
                "Contact message %s: nobody may read contact messages", contact_message.pk
            )
        else:
            send_site_email(
                to=readers,
                subject=f"civicnet contact: {contact_message.get_topic_display()} "
                f"from {contact_message.name}",
                template="civicnet/email/contact_message",
                context={"contact_message": contact_message},
                reply_to=[contact_message.email],
            )
        contact_message.emailed_at = timezone.now()
        contact_message.save(update_fields=["emailed_at"])
    return True


# --- The page's view -------------------------------------------------------------------------
def contact_page_serve(page, request):
    """GET: the form (or the thank-you after ?sent=1). POST: keep the message, then redirect."""
    user = request.user if request.user.is_authenticated else None
    initial = {"name": user.get_full_name(), "email": user.email} if user else {}
    form = ContactForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not throttle_allow(
            action="contact_message",
            key=client_address(request),
            limit=CONTACT_MESSAGES_PER_HOUR,
            seconds=3600,
        ):
            form.add_error(
                None, "Too many messages from your connection in the last hour. Try again later."
            )
            status = 429
        elif form.is_valid():
            contact_message_create(
                user=user, **{name: form.cleaned_data[name] for name in form.Meta.fields}
            )
            return redirect(f"{page.url}?sent=1")
        else:
            status = 400
    response = TemplateResponse(
        request,
        page.get_template(request),
        {
            **page.get_context(request),
            "form": form,
            "sent": request.method == "GET" and request.GET.get("sent") == "1",
        },
        status=status,
    )
    if user is not None or request.method == "POST":
        patch_cache_control(response, private=True)
    return response
