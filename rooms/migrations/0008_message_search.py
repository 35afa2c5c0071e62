"""Full-text search over messages: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL (rooms/searchindex.py)."""

from django.db import migrations, models

from rooms import searchindex


def create_index(apps, schema_editor):
    searchindex.build(schema_editor.connection)


def drop_index(apps, schema_editor):
    searchindex.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("rooms", "0007_attachment")]

    operations = [
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["author_key", "room"], name="message_author_room_idx"),
        ),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
