"""Create a staff group and grant it permissions, from a data migration.

Permissions are named "app_label.model.codename". Inside a migration they may not exist yet
(Django creates them after the last migration), so they are created here when missing.
"""


def group_grant(apps, name: str, permissions: list[str]) -> None:
    content_types = apps.get_model("contenttypes", "ContentType")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=name)
    for spec in permissions:
        app_label, model_name, codename = spec.split(".")
        content_type, _ = content_types.objects.get_or_create(app_label=app_label, model=model_name)
        permission = permission_model.objects.filter(
            content_type=content_type, codename=codename
        ).first()
        if permission is None:
            meta = apps.get_model(app_label, model_name)._meta
            label = dict(meta.permissions).get(codename)
            label = label or f"Can {codename.split('_')[0]} {meta.verbose_name_raw}"
            permission = permission_model.objects.create(
                content_type=content_type, codename=codename, name=label
            )
        group.permissions.add(permission)


def group_delete(apps, name: str) -> None:
    apps.get_model("auth", "Group").objects.filter(name=name).delete()
