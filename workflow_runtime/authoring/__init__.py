"""Authoring: what marketers write — flow documents and their versions, scenario templates, message templates."""
