"""Tortoise models, the database connection, and where audio bytes live."""
