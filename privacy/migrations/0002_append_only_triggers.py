"""Database triggers rejecting UPDATE and DELETE on the audit table (SQLite and PostgreSQL),
and the single chain-head row writers lock."""

from django.db import migrations

from privacy.triggers import drop_triggers_migration, install_triggers_migration


def create_chain_head(apps, schema_editor):
    ChainHead = apps.get_model("privacy", "ChainHead")
    ChainHead.objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [
        migrations.RunPython(install_triggers_migration, drop_triggers_migration),
        migrations.RunPython(create_chain_head, migrations.RunPython.noop),
    ]
