"""Tests for the advisor: redaction, retrieval and drafting."""
