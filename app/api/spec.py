"""Describe each API operation next to its view; parse its input; build the OpenAPI 3.1 document.

``@operation`` records the schemas of a view and validates the query and body
against them before the view runs, so the document and the behaviour cannot
drift apart: ``build_document`` walks the URL map and reads those records.
"""

import re
from dataclasses import dataclass
from functools import wraps
from typing import Optional

from flask import Response, jsonify, request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pydantic.json_schema import models_json_schema

from app.api.errors import ApiError, validation_details
from app.api.schemas import MAX_ID, ErrorResponse
from app.authz import PUBLIC, RULE_ATTR

PREFIX = "/api/v1"
ID = f"int(min=1, max={MAX_ID})"  # URL converter of record ids: out-of-range ids are a plain 404
ATTR = "api_operation"
JSON = "application/json"
MULTIPART = "multipart/form-data"
ERROR_RESPONSES = {
    400: ("BadRequest", "The query or body is invalid; `details` names each field."),
    401: ("Unauthorized", "No valid bearer token (or, for reads, no signed-in session)."),
    403: ("Forbidden", "The token's user may not use this operation."),
    404: ("NotFound", "No such record, or one the caller may not see."),
    409: ("Conflict", "The request clashes with the record's current state."),
    415: ("UnsupportedMediaType", "The body is not in a media type this operation accepts."),
    422: ("Unprocessable", "Well-formed, but breaks a rule; `details` lists each problem."),
}


@dataclass(frozen=True)
class Operation:
    """What the document says about one view, and what its input is checked against."""

    summary: str
    tag: str
    response: Optional[type[BaseModel]] = None
    status: int = 200
    query: Optional[type[BaseModel]] = None
    body: Optional[type[BaseModel]] = None
    form: Optional[type[BaseModel]] = None  # multipart alternative to the JSON body
    files: tuple = ()  # (name, required, description) of the multipart files
    errors: tuple = ()
    description: str = ""


def operation(**fields):
    """Describe a view and check its query and body; the view gets ``query``, ``body``, ``form``, ``files``."""
    op = Operation(**fields)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if op.query is not None:
                kwargs["query"] = parse(op.query, request.args.to_dict(), "query")
            if op.body is not None or op.form is not None:
                kwargs.update(parse_body(op))
            return render(view(*args, **kwargs), op)

        setattr(wrapper, ATTR, op)
        return wrapper

    return decorate


def parse(model: type[BaseModel], data, location: str) -> BaseModel:
    """Validate ``data`` with ``model`` or raise a 400 ApiError naming each field."""
    try:
        if isinstance(data, bytes):
            return model.model_validate_json(data or b"null")
        return model.model_validate(data)
    except PydanticValidationError as error:
        raise ApiError(400, f"invalid {location}", validation_details(error, location)) from None


def parse_body(op: Operation) -> dict:
    """Return the view's body arguments from a JSON body, or from a multipart form with files."""
    if op.body is not None and request.mimetype == JSON:
        return {"body": parse(op.body, request.get_data(), "body")}
    if op.form is not None and request.mimetype == MULTIPART:
        form = parse(op.form, request.form.to_dict(), "form")
        missing = [name for name, required, _ in op.files if required and not request.files.get(name)]
        if missing:
            details = [{"location": "form", "field": name, "message": "a file is required"} for name in missing]
            raise ApiError(400, "invalid form", details)
        return {"form": form, "files": {name: request.files.get(name) for name, _, _ in op.files}}
    accepted = [t for t, on in ((JSON, op.body), (MULTIPART, op.form)) if on is not None]
    raise ApiError(415, f"send the body as {' or '.join(accepted)}")


def render(result, op: Operation):
    """Turn what a view returns (a model, or a model and headers) into a JSON response."""
    if isinstance(result, Response):
        return result
    headers = {}
    if isinstance(result, tuple):
        result, headers = result
    response = jsonify(result.model_dump(mode="json"))
    response.status_code = op.status
    response.headers.update(headers)
    return response


# --- the document --------------------------------------------------------------------

_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def path_and_parameters(rule: str) -> tuple[str, list[dict]]:
    """Return a Flask rule as an OpenAPI path and its path parameters."""
    parameters = []
    for match in _ARGUMENT.finditer(rule):
        schema = {"type": "string"}
        if match["converter"] == "int":
            schema = {"type": "integer"}
            for key, value in re.findall(r"(min|max)\s*=\s*(\d+)", match["args"] or ""):
                schema["minimum" if key == "min" else "maximum"] = int(value)
        parameters.append({"name": match["name"], "in": "path", "required": True, "schema": schema})
    return _ARGUMENT.sub(r"{\g<name>}", rule), parameters


def _without_null(schema: dict) -> dict:
    """Return a query parameter's schema without its null option: leaving it out already means none."""
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1 and len(schema.get("anyOf", [])) == 2:
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        return {**options[0], **rest}
    return {k: v for k, v in schema.items() if not (k == "default" and v is None)}


def query_parameters(model: type[BaseModel]) -> list[dict]:
    """Return a query model's fields as OpenAPI query parameters."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(prop)
        prop.pop("title", None)
        description = prop.pop("description", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _rule_of(view):
    """Return the access rule a view declares (see app.authz)."""
    return getattr(view, RULE_ATTR, None)


def _operation_object(op: Operation, endpoint: str, rule, path_params, refs) -> dict:
    """Return the OpenAPI operation object of one view and method."""
    parameters = list(path_params)
    if op.query is not None:
        parameters += query_parameters(op.query)
    access = "everyone" if rule == PUBLIC else ", ".join(sorted(rule))
    description = (op.description + "\n\n" if op.description else "") + f"Roles: {access}."
    result = {
        "operationId": endpoint.rsplit(".", 1)[-1],
        "summary": op.summary,
        "description": description,
        "tags": [op.tag],
        "responses": {},
    }
    if parameters:
        result["parameters"] = parameters
    success = {"description": op.summary}
    if op.response is not None:
        success["content"] = {JSON: {"schema": refs[(op.response, "serialization")]}}
    result["responses"][str(op.status)] = success
    codes = set(op.errors)
    if op.query is not None or op.body is not None or op.form is not None:
        codes.add(400)
    if op.body is not None or op.form is not None:
        codes.add(415)
    if path_params:
        codes.add(404)
    if rule != PUBLIC:
        result["security"] = [{"bearerAuth": []}]
        codes.add(401)
        if set(rule) != {"learner", "mentor", "trainer", "admin"}:
            codes.add(403)
    else:
        result["security"] = []
    for code in sorted(codes):
        result["responses"][str(code)] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"}
    content = {}
    if op.body is not None:
        content[JSON] = {"schema": refs[(op.body, "validation")]}
    if op.form is not None:
        form_schema = op.form.model_json_schema()
        properties = {name: {"type": "string", "format": "binary", "description": text}
                      for name, _, text in op.files}
        properties.update({k: {kk: vv for kk, vv in v.items() if kk != "title"}
                           for k, v in form_schema.get("properties", {}).items()})
        content[MULTIPART] = {"schema": {
            "type": "object", "properties": properties, "additionalProperties": False,
            "required": [name for name, required, _ in op.files if required],
        }}
    if content:
        result["requestBody"] = {"required": True, "content": content}
    return result


def api_operations(app):
    """Yield (rule, method, view, operation) for every /api/v1 route of the app, in path order."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if not rule.rule.startswith(PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, view, getattr(view, ATTR, None)


def build_document(app) -> dict:
    """Return the OpenAPI 3.1 document of every /api/v1 route of ``app``."""
    found = list(api_operations(app))
    undocumented = [rule.endpoint for rule, _, _, op in found if op is None]
    if undocumented:
        raise RuntimeError(f"API routes without @operation: {', '.join(undocumented)}")
    models = {(ErrorResponse, "serialization")}
    for _, _, _, op in found:
        if op.response is not None:
            models.add((op.response, "serialization"))
        if op.body is not None:
            models.add((op.body, "validation"))
    ordered = sorted(models, key=lambda m: (m[0].__name__, m[1]))
    refs, definitions = models_json_schema(ordered, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for rule, method, view, op in found:
        path, path_params = path_and_parameters(rule.rule)
        paths.setdefault(path, {})[method.lower()] = _operation_object(
            op, rule.endpoint, _rule_of(view), path_params, refs)
    responses = {
        name: {"description": text, "content": {JSON: {"schema": refs[(ErrorResponse, "serialization")]}}}
        for name, text in ERROR_RESPONSES.values()
    }
    responses["Unauthorized"]["headers"] = {
        "WWW-Authenticate": {"description": "The Bearer challenge.", "schema": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rehearse API",
            "version": "1",
            "description": (
                "Users, progress, assignments, quiz and role-play results, deal import and behaviour-model "
                "runs. Authenticate with a personal token from /account/tokens: `Authorization: Bearer <token>`. "
                "Lists are paginated with `page` and `per_page`. Errors have the shape "
                '`{"error": {"code", "message", "details"?}}`.'
            ),
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "responses": responses,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "rh_<prefix>_<secret>",
                               "description": "A personal API token, created at /account/tokens."},
            },
        },
    }
