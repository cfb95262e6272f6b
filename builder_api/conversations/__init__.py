"""The operator inbox's API: conversations, operators' messages and notes, and its live stream."""
