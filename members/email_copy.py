"""The words of the retention emails, which staff edit in the admin (RetentionEmailText):
their defaults, the placeholders they may use, and filling them in.

A placeholder is a name in braces, e.g. {first_name}. Only the names in PLACEHOLDERS are
allowed; anything else is refused when staff save the text, so a send never meets one.
"""

from string import Formatter

from django.core.exceptions import ValidationError

PLACEHOLDERS = {
    "first_name": "the person's first name ('there' when none is given)",
    "plan": "the plan's name, e.g. 'Individual'",
    "ends_on": "the date it is about: the period's end, the lapse, or the end of grace",
    "renews_or_ends": "'renews on 3 March 2027 at $120 a year' or 'ends on 3 March 2027'",
    "portal_url": "the page that opens the card, receipts and cancellation",
    "account_url": "the person's account page",
    "join_url": "the membership plans page",
}
HELP = "Placeholders: " + ", ".join(f"{{{name}}}" for name in PLACEHOLDERS) + "."

_SIGN_OFF = "\n\nThe civicnet team"
_RENEW = (
    "Hello {first_name},\n\n"
    "Your civicnet {plan} membership {renews_or_ends}. If it renews by itself there is "
    "nothing to do to stay a member; to change your card or plan, to cancel or to renew, "
    "open your account.\n\nYour account: {account_url}" + _SIGN_OFF
)
_PAY = "\n\nUpdate your card: {portal_url}" + _SIGN_OFF

# kind: (subject, body); the kinds of RetentionEmail.Kind.
DEFAULTS = {
    "renew_30": ("civicnet: your membership renews in a month", _RENEW),
    "renew_7": ("civicnet: your membership renews next week", _RENEW),
    "renew_3": (
        "civicnet: your membership ends in three days",
        "Hello {first_name},\n\n"
        "Your monthly civicnet {plan} membership ends on {ends_on} and will not renew by "
        "itself. To keep the library, the directory and member events, renew from your "
        "account.\n\nYour account: {account_url}" + _SIGN_OFF,
    ),
    "lapsed": (
        "civicnet: your membership has ended",
        "Hello {first_name},\n\n"
        "Your civicnet membership ended on {ends_on}. Thank you for the time you spent with "
        "the network. Your account and profile are still here: you can rejoin whenever you "
        "like, and pick up where you left off.\n\nYour account: {account_url}" + _SIGN_OFF,
    ),
    "win_back": (
        "civicnet: the network misses you",
        "Hello {first_name},\n\n"
        "It has been a month since your civicnet membership ended. Since then, members have "
        "kept sharing what works in their cities, in the library, at events and in the "
        "directory. We would be glad to have you back whenever you are ready.\n\n"
        "Rejoin: {join_url}" + _SIGN_OFF,
    ),
    "pay_failed": (
        "civicnet: your membership payment did not go through",
        "Hello {first_name},\n\n"
        "Stripe could not take the payment for your civicnet membership. Nothing is lost: "
        "you keep full access until {ends_on} while you update your card." + _PAY,
    ),
    "pay_last_call": (
        "civicnet: update your card to keep your membership",
        "Hello {first_name},\n\n"
        "The payment for your civicnet membership is still outstanding, and your access ends "
        "on {ends_on}. Update your card before then to stay in the network." + _PAY,
    ),
}


def validate_placeholders(text: str) -> None:
    """Refuse braces that are not one of PLACEHOLDERS (write {{ or }} for a literal brace)."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in Formatter().parse(text)]
    except ValueError as error:
        raise ValidationError(
            f"Unbalanced braces ({error}); write {{{{ or }}}} for a brace itself."
        ) from error
    names = {name for name, _, _ in fields if name is not None}
    if any(spec or conversion for _, spec, conversion in fields):
        raise ValidationError("A placeholder is a bare name in braces, e.g. {first_name}.")
    unknown = sorted(names - PLACEHOLDERS.keys())
    if unknown:
        raise ValidationError(
            "Unknown placeholder(s): %(unknown)s. %(help)s",
            params={"unknown": ", ".join(f"{{{name}}}" for name in unknown), "help": HELP},
        )


def fill(text: str, values: dict[str, str]) -> str:
    """The text with its placeholders replaced (it passed validate_placeholders)."""
    return text.format_map(values)
