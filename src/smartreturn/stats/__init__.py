"""Return reasons, money and statistics (tables, CSV/JSON export, charts, an HTML report)."""
