"""Briefs and alerts that reach people: Telegram, Zalo, e-mail and webhooks, on a schedule (docs/notify.md).

``ledger`` (layer 4) keeps subscriptions and the send ledger in the store; everything else in this package is
layer 5 and reaches data through the workspace: ``config`` (channels' settings and secrets), ``content`` (the
messages), ``channels`` (one module per channel), ``schedule`` and ``jobs`` (when each kind of job is due),
``scope`` (who may receive what) and ``runner`` (run what is due, record every send, retry with backoff).
"""
