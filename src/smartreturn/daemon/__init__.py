"""The long-running side: IMAP and local mail sources, the loop, the scheduler, systemd integration."""
