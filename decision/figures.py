"""Plotly figures (pure: data in, ``go.Figure`` out). Used by notebooks, the dashboard and briefings."""
from __future__ import annotations
