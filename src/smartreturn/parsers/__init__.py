"""Per-platform and per-carrier parsers: one module each, with ``identify()`` and ``extract()``."""
