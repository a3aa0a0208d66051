"""The dashboard's data version takes core.table_versions' advisory lock, as the versions made
since do.

0005 wrote its trigger function by hand before version_sql existed, without the lock that
read_version() looks for: a reader could read the number a write had moved on before that
write committed, and keep the old figures (and sidebar) under it. version_sql uses 0005's
names (the sequence civicnet_dashboard_data_version, the function
civicnet_dashboard_data_changed), so running it again over 0005's and 0006's tables keeps the
sequence and its number, replaces the function and makes the triggers afresh. Going back puts
0005's function back (without the lock); the triggers stay, as 0005 and 0006 made them.
"""

from django.db import migrations

from core.table_versions import run_sql, version_sql

VERSION = "civicnet_dashboard_data"
# 0005's tables (the figures) and 0006's (the admin sidebar's menu).
TABLES = [
    "auth_group",
    "auth_group_permissions",
    "auth_permission",
    "auth_user",
    "auth_user_groups",
    "auth_user_user_permissions",
    "civicnet_pagefeedback",
    "django_content_type",
    "events_event",
    "events_registration",
    "library_resourcedownload",
    "library_resourcepage",
    "members_membership",
    "members_membershipevent",
    "members_payment",
    "members_plan",
    "members_profile",
    "newsletter_delivery",
    "newsletter_edition",
    "newsletter_subscriber",
    "wagtailcore_collection",
    "wagtailcore_groupcollectionpermission",
    "wagtailcore_grouppagepermission",
    "wagtailcore_groupsitepermission",
    "wagtailcore_locale",
    "wagtailcore_page",
    "wagtailcore_site",
    "wagtailusers_userprofile",
]
FORWARD, _ = version_sql(VERSION, TABLES)
BACKWARD = [
    f"""CREATE OR REPLACE FUNCTION {VERSION}_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM nextval('{VERSION}_version');
            RETURN NULL;
        END
    $$"""
]


class Migration(migrations.Migration):
    dependencies = [("civicnet", "0006_sidebar_data_version")]

    operations = [migrations.RunPython(run_sql(FORWARD), run_sql(BACKWARD))]
