import pytest

from tests.members.factories import make_plan
from tests.members.fake_stripe import WEBHOOK_SECRET, FakeStripe


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fake_stripe(settings):
    """Stripe configured, talking to a fake API on loopback."""
    with FakeStripe() as fake:
        settings.STRIPE_SECRET_KEY = "sk_test_civicnet"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        yield fake


@pytest.fixture
def plan(db):
    return make_plan()


@pytest.fixture
def eager_tasks():
    """Run enqueued tasks in-process (the worker tests use a real worker instead)."""
    from civicnet.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
