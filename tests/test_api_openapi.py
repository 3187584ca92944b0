"""The OpenAPI document: valid, complete (every /api/v1 route), and true (property-based tests with schemathesis)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode

from app import create_app
from app.api.spec import PREFIX, build_document, path_and_parameters
from tests.factories import make_pairing, make_team, make_user
from tests.factories_api import bearer, make_model_run, make_token
from tests.factories_mentor import make_assignment, make_course_target


def test_document_is_valid_openapi(client):
    """The served document passes the OpenAPI 3.1 validator and declares the bearer scheme."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_document_lists_every_api_route(app):
    """Every /api/v1 rule and method of the URL map is in the document, and nothing else is."""
    document = build_document(app)
    in_map = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX):
            path, _ = path_and_parameters(rule.rule)
            in_map |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert in_map and documented == in_map
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_lists_document_pagination_and_errors(app):
    """Paginated operations declare page and per_page; every error response uses the error schema."""
    document = build_document(app)
    users = document["paths"]["/api/v1/users"]["get"]
    names = {p["name"]: p for p in users["parameters"]}
    assert names["per_page"]["schema"]["maximum"] == 100 and names["page"]["schema"]["minimum"] == 1
    assert {"400", "401", "403"} <= set(users["responses"])
    page = document["components"]["schemas"]["Page_UserOut_"]
    assert set(page["required"]) == {"items", "page", "per_page", "total", "next"}
    for response in document["components"]["responses"].values():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}


def test_an_undocumented_api_route_fails_the_build(app):
    """A route under /api/v1 without @operation cannot slip into the API undocumented."""
    app.add_url_rule("/api/v1/secret", "undocumented", lambda: "")
    with pytest.raises(RuntimeError, match="undocumented"):
        build_document(app)


# --- property-based tests --------------------------------------------------------------

@pytest.fixture
def api_world(app):
    """Some records to find, and an admin's token (admins may call every operation)."""
    team = make_team()
    mentor, learner = make_user("mentor", team=team), make_user(team=team)
    make_pairing(mentor, learner)
    make_course_target(slug="spin-basics")
    make_assignment(mentor, learner)
    make_model_run()
    return make_token(make_user("admin"))


def load_schema():
    """Load the document schemathesis tests against; building it needs no database."""
    schema = schemathesis.openapi.from_dict(build_document(create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})))
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=20, deterministic=True,
        allow_x00=False,
    )
    # Business rules (a past due date, a target that does not exist) cannot be written in a
    # schema: a schema-valid body may be answered 422, which the operations document.
    schema.config.checks.positive_data_acceptance.expected_statuses = [
        "2xx", "401", "403", "404", "409", "422"]
    return schema


# Loaded at collection, so each operation is its own test; requests go to the test's own app.
schema = load_schema()


@schema.parametrize()
@settings(max_examples=20, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_breaks_the_api(case, app, api_world):
    """No generated request (valid or not) gets a 500, and every response matches the document."""
    case.operation.schema.app = app  # this test's app: follow-up requests of the checks go there too
    case.call_and_validate(app=app, headers=bearer(api_world))


def test_a_405_names_the_allowed_methods(client):
    """RFC 9110: a 405 lists the methods the resource allows."""
    response = client.delete("/api/v1/openapi.json")
    assert response.status_code == 405
    assert set(response.headers.get("Allow", "").replace(" ", "").split(",")) >= {"GET"}


def test_reference_page_lists_every_operation(app, client):
    """The human-readable page, built from the same document, shows each operation; it loads no outside script."""
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    count = sum(len(item) for item in build_document(app)["paths"].values())
    assert page.count('data-testid="operation"') == count
    assert "/api/v1/users/{user_id}/progress" in page and "https://" not in page
