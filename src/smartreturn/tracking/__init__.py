"""Shipment tracking: the carrier registry, tracking-number detection, status normalisation, APIs."""
