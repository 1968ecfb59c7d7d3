"""Presentation: charts, terminal text, HTML pieces and live notebook controls."""
