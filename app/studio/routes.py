"""Studio views (routes)."""
