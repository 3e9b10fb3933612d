"""Programs that print figures (engine speed, voice latency, API, Discord round trips).

They import the product; the product never imports them.
Run each with `python -m benchmarks.<name>`.
"""
