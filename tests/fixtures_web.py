"""Fixtures of the web app (app, client, runner)."""
