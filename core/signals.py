"""Signals any app may send; the project package listens.

`public_pages_changed`: what anonymous visitors see has changed, so cached copies must go.
Send it with `paths=[...]`, the URL paths whose pages changed (each clears its section of
the site, e.g. "/events/" every events page, "/" the home page), or `paths=None` when the
change may show anywhere. Apps send this instead of importing the page cache, which lives
above them in `civicnet`.
"""

from django.dispatch import Signal

public_pages_changed = Signal()
