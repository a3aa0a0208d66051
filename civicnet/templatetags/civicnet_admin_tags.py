from django import template

from civicnet.dashboard import request_data_version
from civicnet.dashboard_sidebar import dashboard_sidebar

register = template.Library()


@register.simple_tag(takes_context=True)
def kept_sidebar_props(context):
    """Wagtail's {% sidebar_props %}, kept for the person (civicnet/dashboard_sidebar.py)."""
    request = context["request"]
    return dashboard_sidebar(request, request_data_version(request))
