"""Pronunciation dictionaries, spoken names (/nickname) and the read-aloud controls."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from storage.models import DictionaryScope
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DictionaryEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('scope', fields.CharEnumField(description='USER: user\nGUILD: guild', enum_type=DictionaryScope, max_length=8)),
                ('owner_id', fields.CharField(max_length=64)),
                ('word', fields.CharField(max_length=64)),
                ('replacement', fields.CharField(max_length=256)),
                ('case_sensitive', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'dictionary_entries', 'app': 'models', 'unique_together': (('scope', 'owner_id', 'word'),), 'indexes': [Index(fields=['scope', 'owner_id'])], 'pk_attr': 'id', 'table_description': 'One pronunciation-dictionary entry of a user or a server (`tts_engine.text.dictionary`).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SpokenName',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guild_id', fields.BigIntField()),
                ('user_id', fields.BigIntField()),
                ('name', fields.CharField(max_length=64)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'spoken_names', 'app': 'models', 'unique_together': (('guild_id', 'user_id'),), 'pk_attr': 'id', 'table_description': "How read-aloud says a member's name in one server (/nickname)."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='GuildSettings',
            name='readaloud',
            field=fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
