"""Directory privacy field by field: the four grouped choices become seven, each person keeping
what they chose (title, organisation and sector followed "work"; bio and links "about")."""

from django.db import migrations, models


def split_choices(apps, schema_editor):
    Profile = apps.get_model("members", "Profile")
    Profile.objects.update(
        show_organisation=models.F("show_work"),
        show_title=models.F("show_work"),
        show_sector=models.F("show_work"),
        show_bio=models.F("show_about"),
        show_links=models.F("show_about"),
    )


def join_choices(apps, schema_editor):
    Profile = apps.get_model("members", "Profile")
    # Going back, a group shows only when every field in it was shown.
    def all_of(*names):
        return models.ExpressionWrapper(
            models.Q(**dict.fromkeys(names, True)), output_field=models.BooleanField()
        )

    Profile.objects.update(
        show_work=all_of("show_organisation", "show_title", "show_sector"),
        show_about=all_of("show_bio", "show_links"),
    )


class Migration(migrations.Migration):
    dependencies = [("members", "0007_retention_emails")]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="show_organisation",
            field=models.BooleanField(default=True, verbose_name="Organisation"),
        ),
        migrations.AddField(
            model_name="profile",
            name="show_title",
            field=models.BooleanField(default=True, verbose_name="Job title"),
        ),
        migrations.AddField(
            model_name="profile",
            name="show_sector",
            field=models.BooleanField(default=True, verbose_name="Sector"),
        ),
        migrations.AddField(
            model_name="profile",
            name="show_bio",
            field=models.BooleanField(default=True, verbose_name="Bio"),
        ),
        migrations.AddField(
            model_name="profile",
            name="show_links",
            field=models.BooleanField(default=True, verbose_name="Website and social links"),
        ),
        migrations.RunPython(split_choices, join_choices),
        migrations.RemoveField(model_name="profile", name="show_work"),
        migrations.RemoveField(model_name="profile", name="show_about"),
        migrations.RenameField(model_name="profile", old_name="show_place", new_name="show_city"),
        migrations.AlterField(
            model_name="profile",
            name="show_city",
            field=models.BooleanField(default=True, verbose_name="Metro or city"),
        ),
        migrations.AlterField(
            model_name="profile",
            name="show_photo",
            field=models.BooleanField(default=True, verbose_name="Photo"),
        ),
    ]
