"""Alerts out: endpoints from the settings, signed payloads, and the outbox's delivery loop."""
