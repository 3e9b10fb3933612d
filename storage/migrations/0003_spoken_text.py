"""A project keeps the text as typed (`text`) and as synthesised (`spoken_text`)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0002_readaloud_dictionary')]

    initial = False

    operations = [
        ops.AddField(
            model_name='TTSProject',
            name='spoken_text',
            field=fields.TextField(null=True),
        ),
    ]
