"""SmartReturn: reads forwarded shopping mail, tracks orders, returns and refunds."""

__version__ = "0.1.0"
