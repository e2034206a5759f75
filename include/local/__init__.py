"""Local mode support: servers on loopback, the local environment, sample data."""
