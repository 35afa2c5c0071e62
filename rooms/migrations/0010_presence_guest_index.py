"""Presence by person: "is this person online?" (online dots, who of a room hears its count) reads an index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0009_link_preview"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="presence",
            index=models.Index(fields=["guest_key"], name="presence_guest_idx"),
        ),
    ]
