"""Synthetic renderer of people with sculpted dimples of Venus (see scripts/render.py)."""
