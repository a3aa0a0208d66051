"""Who is asking, in one query: the signed-in person's row, whether their session still exists
in the database, and whether they hold any permission (which makes them staff-capable).

Django asks these in three queries per signed-in request (the session row, the user row, and
core.staff's "holds any permission?"). With sessions kept in the cache (settings: the
`cached_db` engine when Redis is configured) the session row is not read at all while the
cache has it; this middleware reads the person and checks the session's row in the same
query, so:

- a session ended while the cache was unreachable (a sign-out whose cache delete failed,
  leaving the cached copy behind once Redis is back) is refused: its row is gone, so the
  person is anonymous and the stale copy is flushed;
- a cache outage costs one query more (cached_db reads the row), never a page;
- the person's row is read fresh on every request, as Django does (deactivation, a password
  change that ends other sessions and anything else on it take effect at once), and so are
  the one-to-one rows settings.AUTH_USER_SELECT_RELATED names (the membership), joined in.

Sessions without a signed-in person (a visitor's basket of messages) are read from the cache
alone: nothing in them grants anything.
"""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from .prepared import MARKER_MOMENT, PreparedQuery
from .staff import holds_a_permission, remember_holds_a_permission


def _person_query(pk, session_key, now):
    model = auth.get_user_model()
    sessions = Session.objects.filter(session_key=session_key, expire_date__gt=now)
    return (
        model._default_manager.annotate(
            session_live=Exists(sessions), holds_a_permission=holds_a_permission(OuterRef("pk"))
        )
        .select_related(*getattr(settings, "AUTH_USER_SELECT_RELATED", ()))
        .filter(pk=pk)
    )


# Compiled once per process (core.prepared): building and compiling this query cost several
# times running it, on every signed-in request. The markers are values no real request has.
_PERSON = PreparedQuery(
    _person_query,
    pk=-7_300_001,
    session_key="core.auth:session-key-marker",
    now=MARKER_MOMENT,
)


def _load(backend: ModelBackend, user_id, session_key: str):
    """The person with `session_live` and `holds_a_permission` annotated; None if gone."""
    model = auth.get_user_model()
    try:
        pk = model._meta.pk.to_python(user_id)
    except Exception:  # a tampered or outdated session value: nobody
        return None
    found = _PERSON.run(pk=pk, session_key=session_key, now=timezone.now())
    user = found[0] if found else None
    if user is None or not backend.user_can_authenticate(user):
        return None
    return user


def get_user(request):
    """What `django.contrib.auth.get_user` answers, in one query for the model backends."""
    session = request.session
    backend_path = session.get(auth.BACKEND_SESSION_KEY)
    user_id = session.get(auth.SESSION_KEY)
    if user_id is None or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return auth.get_user(request)
    backend = auth.load_backend(backend_path)
    if not isinstance(backend, ModelBackend):  # allauth's backend is one too
        return auth.get_user(request)
    user = _load(backend, user_id, session.session_key)
    if user is not None and not user.session_live:
        # Ended elsewhere (signed out while the cache was away): the cached copy is stale.
        session.flush()
        return AnonymousUser()
    if user is None or not _session_hash_verified(request, user):
        return AnonymousUser()
    remember_holds_a_permission(user, user.holds_a_permission)
    return user


def _session_hash_verified(request, user) -> bool:
    """Django's check that the session was made with the person's current password (as in
    django.contrib.auth.get_user, SECRET_KEY_FALLBACKS included); flushes it if not."""
    session = request.session
    session_hash = session.get(auth.HASH_SESSION_KEY)
    current = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, current):
        return True
    if session_hash and any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[auth.HASH_SESSION_KEY] = current
        return True
    session.flush()
    return False


class OneQueryAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware with `request.user` from `get_user` above."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))
