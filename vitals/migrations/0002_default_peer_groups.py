from django.db import migrations

PEER_GROUPS = [
    ("1m-plus", "Metros of 1 million or more", 1_000_000, None, True, 1),
    ("500k-1m", "Metros of 500,000 to 1 million", 500_000, 1_000_000, False, 2),
    ("all", "All metropolitan areas", 0, None, False, 3),
]


def create(apps, schema_editor):
    PeerGroup = apps.get_model("vitals", "PeerGroup")
    for slug, name, low, high, default, order in PEER_GROUPS:
        PeerGroup.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "min_population": low, "max_population": high, "is_default": default, "order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("vitals", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
