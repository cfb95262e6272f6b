"""Ingest: Segment-style tracking calls become contacts, identities and stored events, queued for the engine."""
