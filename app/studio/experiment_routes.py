"""Studio views (experiment_routes)."""
