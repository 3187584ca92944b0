"""The OpenAPI document, built from the routes and their schemas, and a reference page read from it."""

from flask import current_app, jsonify, render_template

from app.api import bp, v1
from app.api.spec import build_document, operation
from app.authz import public

CACHE_KEY = "rehearse_openapi"


@v1.get("/openapi.json")
@public
@operation(summary="This API's OpenAPI 3.1 document", tag="meta")
def openapi():
    """Return the OpenAPI document (built once per process: routes do not change at run time)."""
    document = current_app.extensions.get(CACHE_KEY)
    if document is None:
        document = current_app.extensions[CACHE_KEY] = build_document(current_app)
    return jsonify(document)


@bp.get("/api/docs")
@public
def reference():
    """Show the API reference as a page, read from the same document (no scripts, no CDN)."""
    document = current_app.extensions.get(CACHE_KEY) or build_document(current_app)
    operations = [(path, method.upper(), item) for path, methods in document["paths"].items()
                  for method, item in methods.items()]
    return render_template("api/reference.html", document=document, operations=operations)
