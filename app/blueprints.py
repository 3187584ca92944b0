"""The list of blueprints: one package per area of the application."""


def register_blueprints(app) -> None:
    """Register every area's blueprint."""
    from app.auth import bp as auth_bp
    from app.main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
