"""Repositories: functions taking a session first, returning engine values, never committing."""
