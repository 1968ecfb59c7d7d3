"""The metric kinds."""
