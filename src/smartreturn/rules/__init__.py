"""Return windows, refund deadlines, priorities and anomalies: policies as data, engine as pure functions."""
