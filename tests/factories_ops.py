"""Operations test helpers: the xAPI schema from shared/data, and a fake LRS on a real loopback socket."""

import json
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

XAPI_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "xapi"
SCHEMA_FILE = XAPI_DATA / "schema" / "edo-xrs_xapi_1.0.2_statement.schema.json"


def statement_validator():
    """Return a Draft 4 validator of the shared xAPI statement schema, or skip when the data is absent."""
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA_FILE.exists():
        pytest.skip(f"{SCHEMA_FILE} is absent: xAPI schema checks skipped")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def assert_valid(validator, statement: dict) -> None:
    """Fail with every schema error of a statement."""
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(statement)]
    assert not errors, errors


class FakeLrs:
    """A tiny LRS: stores POSTed statements; can be down (503), fail the next N requests, or refuse ids (400)."""

    def __init__(self):
        self.received: list[dict] = []
        self.requests: list[dict] = []
        self.fail_next = 0
        self.down = False
        self.refuse_ids: set[str] = set()
        self.credentials: str | None = None  # "user:password" to require HTTP Basic auth
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/xapi/"

    @Request.application
    def wsgi(self, request: Request) -> Response:
        """Answer POST /xapi/statements like an LRS."""
        with self._lock:
            self.requests.append({"path": request.path, "headers": dict(request.headers)})
            if request.path != "/xapi/statements" or request.method != "POST":
                return Response("not found", status=404)
            if self.credentials and (request.authorization is None or
                                     f"{request.authorization.username}:{request.authorization.password}"
                                     != self.credentials):
                return Response("unauthorised", status=401)
            if self.down or self.fail_next > 0:
                self.fail_next = max(0, self.fail_next - 1)
                return Response("LRS is down for maintenance", status=503)
            if request.headers.get("X-Experience-API-Version") != "1.0.3":
                return Response("missing X-Experience-API-Version", status=400)
            batch = json.loads(request.get_data(as_text=True))
            refused = [s["id"] for s in batch if s["id"] in self.refuse_ids]
            if refused:
                return Response(f"statement {refused[0]} is invalid", status=400)
            self.received.extend(batch)
            return Response(json.dumps([s["id"] for s in batch]), status=200, mimetype="application/json")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def free_port() -> int:
    """Return a loopback port nothing listens on (for an LRS that is unreachable)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
