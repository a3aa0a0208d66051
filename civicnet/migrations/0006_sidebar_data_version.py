"""The dashboard's data version also moves on when the Wagtail admin's menu may change.

The dashboard page keeps each staff member's admin sidebar (civicnet/dashboard_sidebar.py)
under the same number as its figures. The menu shows what a person may do (their own and
their groups' permissions, Wagtail's page, collection and site permissions), the explorer's
start page and locale, their name and avatar: a write to any of these tables moves the number
on, as the figures' tables do (0005's trigger function).
"""

from django.db import migrations

from core.table_versions import run_sql

FUNCTION = "civicnet_dashboard_data_changed"  # 0005
# Every table the sidebar's menu reads beyond 0005's (tests/civicnet/test_dashboard_sidebar.py
# checks).
TABLES = [
    "auth_group",
    "auth_group_permissions",
    "auth_permission",
    "auth_user_groups",
    "auth_user_user_permissions",
    "django_content_type",
    "wagtailcore_collection",
    "wagtailcore_groupcollectionpermission",
    "wagtailcore_grouppagepermission",
    "wagtailcore_groupsitepermission",
    "wagtailcore_locale",
    "wagtailcore_site",
    "wagtailusers_userprofile",
]

FORWARD = [
    f"CREATE TRIGGER {FUNCTION} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
    for table in TABLES
]
BACKWARD = [f"DROP TRIGGER IF EXISTS {FUNCTION} ON {table}" for table in TABLES]


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0095_groupsitepermission"),
        ("wagtailusers", "0001_initial"),
        ("civicnet", "0005_dashboard_data_version"),
    ]

    operations = [migrations.RunPython(run_sql(FORWARD), run_sql(BACKWARD))]
