"""Fill Account.name_key and Contact.phone_keys for the duplicate check (查重)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from keyou.crm.duplicates import duplicate_keys_backfill

    duplicate_keys_backfill(apps.get_model("crm", "Account"), apps.get_model("crm", "Contact"))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0006_activity_deal_phone_keys"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
