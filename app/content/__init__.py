"""Loaders for the bundled files (content/, scenarios/) and their formats."""
