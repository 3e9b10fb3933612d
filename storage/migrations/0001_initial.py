from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from storage.models import ProjectStatus
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='GuildSettings',
            fields=[
                ('guild_id', fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ('voice', fields.CharField(null=True, max_length=255)),
                ('speed', fields.FloatField(null=True)),
                ('lang', fields.CharField(null=True, max_length=8)),
                ('read_channel_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('auto_join', fields.BooleanField(default=False)),
                ('announce_names', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'guild_settings', 'app': 'models', 'pk_attr': 'guild_id', 'table_description': "A server's defaults and its voice-channel behaviour."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TTSProject',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('user_id', fields.CharField(db_index=True, max_length=64)),
                ('source', fields.CharField(default='discord', max_length=16)),
                ('text', fields.TextField(unique=False)),
                ('voice', fields.CharField(max_length=255)),
                ('speed', fields.FloatField(default=1.0)),
                ('lang_code', fields.CharField(max_length=8)),
                ('request_key', fields.CharField(db_index=True, max_length=64)),
                ('status', fields.CharEnumField(default=ProjectStatus.PENDING, description='PENDING: pending\nPROCESSING: processing\nCOMPLETED: completed\nFAILED: failed\nCANCELLED: cancelled', enum_type=ProjectStatus, max_length=16)),
                ('progress', fields.SmallIntField(default=0)),
                ('error', fields.TextField(null=True, unique=False)),
                ('attempts', fields.SmallIntField(default=0)),
                ('guild_id', fields.BigIntField(null=True, db_index=True)),
                ('channel_id', fields.BigIntField(null=True)),
                ('progress_channel_id', fields.BigIntField(null=True)),
                ('progress_message_id', fields.BigIntField(null=True)),
                ('interaction_token', fields.TextField(null=True, unique=False)),
                ('worker_id', fields.CharField(null=True, max_length=96)),
                ('heartbeat_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('not_before', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('audio_url', fields.CharField(null=True, max_length=1024)),
                ('duration_s', fields.FloatField(null=True)),
                ('audio_format', fields.CharField(null=True, max_length=8)),
                ('size_bytes', fields.IntField(null=True)),
                ('storage_backend', fields.CharField(null=True, max_length=16)),
                ('storage_key', fields.CharField(null=True, db_index=True, max_length=255)),
            ],
            options={'table': 'tts_projects', 'app': 'models', 'indexes': [Index(fields=['status', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One text-to-speech request and its result: the unit the job system carries.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserSettings',
            fields=[
                ('user_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('voice', fields.CharField(null=True, max_length=255)),
                ('speed', fields.FloatField(null=True)),
                ('lang', fields.CharField(null=True, max_length=8)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'user_settings', 'app': 'models', 'pk_attr': 'user_id', 'table_description': "A user's defaults for /tts (unset fields fall back to the guild's, then the engine's)."},
            bases=['Model'],
        ),
    ]
