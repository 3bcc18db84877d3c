"""Loopback stand-ins for external services, so tests drive real clients without a network."""
