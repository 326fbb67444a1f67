"""The OpenAPI document: served, valid, and the committed docs/openapi.yaml never drifts."""

from pathlib import Path

from django.contrib.staticfiles import finders
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml"
REGENERATE = "coresponse spectacular --validate --file docs/openapi.yaml"


def generated() -> bytes:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    return OpenApiYamlRenderer().render(schema, renderer_context={})


def test_committed_document_equals_the_generated_one():
    assert COMMITTED.read_bytes() == generated(), (
        f"docs/openapi.yaml is out of date: run `{REGENERATE}` and commit it"
    )


def test_document_describes_the_calls_api():
    text = generated().decode()
    for fragment in (
        "/api/v1/calls/:",
        "/api/v1/calls/{id}/:",
        "name: Idempotency-Key",
        "'422':",
        "bearerAuth:",
        "scheme: bearer",
        "protocol_version:",
        "frequent_caller:",
    ):
        assert fragment in text, fragment


def test_schema_and_docs_are_served_from_this_server(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert schema.content == COMMITTED.read_bytes()
    # The old addresses lead there.
    assert client.get("/api/v1/schema/").headers["Location"] == "/api/schema/"
    assert client.get("/api/v1/docs/").headers["Location"] == "/api/docs/"
    docs = client.get("/api/docs/")
    page = docs.content.decode()
    assert docs.status_code == 200
    # Swagger UI comes from the installed package's static files, never a CDN, and its start-up
    # script is a file of its own (the Content-Security-Policy allows no inline script).
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    assert "<script>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
