from django.db import migrations, models

from core.staff_groups import group_delete, group_grant

GROUP = "Network leads"
# The dashboard, and the reports its figures link to.
PERMISSIONS = [
    "wagtailadmin.admin.access_admin",
    "civicnet.networkdashboard.view_network_dashboard",
    "civicnet.pagefeedback.view_feedback_report",
    "members.membership.view_members_report",
    "library.resourcedownload.view_download_report",
]


def create_group(apps, schema_editor):
    group_grant(apps, GROUP, PERMISSIONS)


def delete_group(apps, schema_editor):
    group_delete(apps, GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("members", "0004_members_report_permissions"),
        ("library", "0002_download_report_permission"),
        ("civicnet", "0003_contact_page_and_messages"),
    ]

    operations = [
        migrations.CreateModel(
            name="NetworkDashboard",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
            options={
                "permissions": [
                    (
                        "view_network_dashboard",
                        "Can see the network dashboard and download its figures",
                    )
                ],
                "managed": False,
                "default_permissions": (),
            },
        ),
        migrations.RunPython(create_group, delete_group),
    ]
