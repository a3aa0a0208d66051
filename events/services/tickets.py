"""What a registrant chooses: a ticket type, guests and answers, checked against the event.

The registration form checks the same things for friendly field errors; these checks are the
ones that count, run with the event row locked, so a tampered form never gets past them.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError

from ..models import Event, TicketType
from ..selectors import places_held
from ..selectors import places_taken as places_taken  # its home before selectors had it

GUEST_NAME_MAX_LENGTH = 120


class ChoiceRefused(Exception):
    """Raised with the message to show; registrations turns it into a RegistrationError."""


@dataclass(frozen=True)
class TicketChoice:
    """A registrant's choices. The defaults are an event without types, guests or questions."""

    ticket_type: TicketType | None = None
    guests: int = 0
    guest_names: tuple[str, ...] = ()
    answers: dict[str, str] = field(default_factory=dict)  # question id (as text) -> answer

    @property
    def places(self) -> int:
        return 1 + self.guests

    def registration_fields(self) -> dict:
        return {
            "ticket_type": self.ticket_type,
            "ticket_name": self.ticket_type.name if self.ticket_type else "",
            "guests": self.guests,
            "guest_names": list(self.guest_names),
            "answers": dict(self.answers),
        }


def party_fits(event: Event, *, ticket_type: TicketType | None, places: int) -> bool:
    """Whether `places` more places fit both the event's capacity and the type's quota.
    Call it with the event row locked, as every registration write does."""
    return places_held(event).fits(
        places=places,
        ticket_type_id=ticket_type.pk if ticket_type else None,
        quota=ticket_type.quota if ticket_type else None,
    )


def ticket_choice_check(*, event: Event, choice: TicketChoice, is_member: bool) -> TicketChoice:
    """The choice as it will be stored, or ChoiceRefused with what is wrong with it."""
    types = list(event.ticket_types.all())
    ticket_type = choice.ticket_type
    if types:
        offered = [t for t in types if t.available_to(is_member=is_member)]
        if not offered:
            raise ChoiceRefused("Registration for this event is open to active members only.")
        by_pk = {t.pk: t for t in types}
        if ticket_type is None or ticket_type.pk not in by_pk:
            raise ChoiceRefused("Choose a ticket.")
        ticket_type = by_pk[ticket_type.pk]
        if not ticket_type.available_to(is_member=is_member):
            raise ChoiceRefused(f"The {ticket_type.name} ticket is for active members only.")
    elif ticket_type is not None:
        raise ChoiceRefused("This event has no ticket types to choose from.")

    guests = choice.guests
    if not isinstance(guests, int) or guests < 0 or guests > event.max_guests:
        if event.max_guests == 0:
            raise ChoiceRefused("This event takes no guests.")
        raise ChoiceRefused(f"You may bring up to {event.max_guests} guests.")
    names = tuple(name.strip()[:GUEST_NAME_MAX_LENGTH] for name in choice.guest_names)
    names = tuple(name for name in names if name)
    if len(names) > guests:
        raise ChoiceRefused("Give at most one name per guest.")

    answers = {}
    for question in event.questions.all():
        try:
            answer = question.check_answer(choice.answers.get(str(question.pk), ""))
        except ValidationError as error:
            raise ChoiceRefused(error.messages[0]) from None
        if answer:
            answers[str(question.pk)] = answer
    return TicketChoice(ticket_type=ticket_type, guests=guests, guest_names=names, answers=answers)


def amount_owed(*, event: Event, choice: TicketChoice, is_member: bool) -> Decimal:
    """What the whole party pays: the ticket's price for this person, once per place."""
    return event.ticket_price(choice.ticket_type, is_member=is_member) * choice.places
