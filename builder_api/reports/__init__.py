"""Reports across flows and conversations."""
