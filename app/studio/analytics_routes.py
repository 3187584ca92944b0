"""Studio views (analytics_routes)."""
