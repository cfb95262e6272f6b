"""Suggestions of event names and property paths from the data seen, for the canvas's inputs."""
