import pytest


@pytest.fixture
def eager_tasks():
    """Run enqueued tasks in-process (the worker tests use a real worker instead)."""
    from civicnet.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
