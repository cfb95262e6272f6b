"""The Segment-compatible tracking API under /v1 (identify, track, page, screen, group, alias, batch)."""
