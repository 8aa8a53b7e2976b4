"""Tracking API adapters. Each speaks one provider's documented API and returns :mod:`.base` types."""
