"""Audience: who the contacts are — stored segments, contact search in the filter language, the contact card."""
