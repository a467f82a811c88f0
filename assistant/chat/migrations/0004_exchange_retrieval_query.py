from django.db import migrations

import assistant.chat.fields


class Migration(migrations.Migration):
    dependencies = [
        ("assistant", "0003_encrypted_text_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="exchange",
            name="retrieval_query",
            field=assistant.chat.fields.EncryptedTextField(blank=True, default=""),
        ),
    ]
