"""The engine behind the canvas (no Flask), in subpackages along the path of an event.

    ingest/      a tracking call becomes a contact, an identity and a stored event
    dispatch/    the event is queued; RQ jobs, the wake-up set, the scheduler and the workers
    engine/      enrol → step → wait → wake → goal / exit, in one transaction per batch
    channels/    what the send nodes recorded goes out: email over SMTP, chat and popups to the widget
    storage/     the tables (the source of truth), migrations, bulk reads and writes

Beside the path: authoring/ (flow documents and versions, message templates), audience/
(segments, contact search, the contact card), reports/ (per-node statistics, drill-down),
and demo.py (the demo data `make run` shows). pyproject.toml's import-linter contracts keep
the direction: each layer imports only the ones below it.
"""
