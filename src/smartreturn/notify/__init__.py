"""Notifications: Jinja rendering (sandboxed), Apprise sending, exactly-once outbox, follow-up drafts."""
