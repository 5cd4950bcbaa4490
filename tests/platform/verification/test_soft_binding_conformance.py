"""The C2PA Soft Binding Resolution API against its OpenAPI document (vendored unchanged in
tests/specs/, source in tests/specs/README.md): every answer's status is one the document lists
for the operation and every JSON body validates against its schema (jsonschema); /api/schema/
describes each operation as the document does; errors are JSON, wrong methods 405, never a
CSRF page; any origin may call it (CORS) on those paths only. Posters resolve too."""

from __future__ import annotations

import base64
import copy
import functools
import io
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from django.test import Client
from PIL import Image

from jobs.models import Clip
from verification.resolution import watermark_alg

pytestmark = pytest.mark.django_db

SPEC = json.loads(
    (Path(__file__).resolve().parents[2] / "specs" / "c2pa-original-soft-binding.json").read_text()
)
BY_BINDING, BY_CONTENT = "/matches/byBinding", "/matches/byContent"
MANIFEST, ALGORITHMS = "/manifests/{manifestId}", "/services/supportedAlgorithms"
UNKNOWN_ID = "urn:c2pa:00000000-0000-4000-8000-000000000000"
ORIGIN = "https://verifier.example"


def _with_erratum(spec: dict) -> dict:
    """The document with its one defect mended (tests/specs/README.md): the ``oneOf`` inside
    the items of ``c2pa.softBindingAlgList.watermarks``, which no ``{"alg"}`` item can meet."""
    spec = copy.deepcopy(spec)
    algs = spec["components"]["schemas"]["c2pa.softBindingAlgList"]
    items = algs["properties"]["watermarks"]["items"]
    assert items.pop("oneOf") == [{"required": ["watermarks"]}, {"required": ["fingerprints"]}]
    return spec


CHECKED = _with_erratum(SPEC)


def _validate(instance, schema: dict, spec: dict = CHECKED) -> None:
    validator = jsonschema.Draft202012Validator({**schema, "components": spec["components"]})
    validator.validate(instance)


def _conforms(response, path: str, method: str = "get"):
    """The answer is one the document lists for the operation, in its shape. An error the
    document lists without a body comes in the API's JSON error shape."""
    operation = SPEC["paths"][path][method]
    status = str(response.status_code)
    assert status in operation["responses"], (method, path, status, response.content[:300])
    assert response["Access-Control-Allow-Origin"] == "*"
    content = operation["responses"][status]["content"]
    if "application/json" in content:
        assert response["Content-Type"] == "application/json"
        _validate(response.json(), content["application/json"]["schema"])
        return response.json()
    if "application/c2pa" in content:
        assert response["Content-Type"] == "application/c2pa"
        return response.content
    return _json_error(response, response.status_code)


def _json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
    return body["error"]


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ORIGIN=ORIGIN)


def _binding(clip) -> str:
    return base64.b64encode(bytes.fromhex(clip.content_id)).decode()


def _ids(body: dict) -> list[str]:
    return [match["manifestId"] for match in body["matches"]]


def _png(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


# ---------------------------------------------------------------- /services/supportedAlgorithms
def test_supported_algorithms(client):
    body = _conforms(client.get(ALGORITHMS), ALGORITHMS)
    assert body == {"watermarks": [{"alg": watermark_alg()}], "fingerprints": []}


def test_the_algorithm_is_the_one_the_operator_configures(client, settings):
    settings.PROVENANCE_SOFT_BINDING_ALG_DOMAIN = "org.example"
    assert watermark_alg() == "org.example.ssw.v3"
    assert _conforms(client.get(ALGORITHMS), ALGORITHMS)["watermarks"] == [
        {"alg": "org.example.ssw.v3"}
    ]
    value = base64.b64encode(b"\0" * 8).decode()
    ours = client.get(BY_BINDING, {"alg": "org.example.ssw.v3", "value": value})
    assert _conforms(ours, BY_BINDING) == {"matches": []}
    other = client.get(BY_BINDING, {"alg": "com.likeness.ssw.v3", "value": value})
    assert _conforms(other, BY_BINDING)["code"] == "unsupported_algorithm"


def test_the_erratum_is_needed_and_is_the_only_one(client):
    """Unmended, the document rejects every non-empty watermark list, and only there."""
    body = client.get(ALGORITHMS).json()
    schema = {"$ref": "#/components/schemas/c2pa.softBindingAlgList"}
    with pytest.raises(jsonschema.ValidationError) as refused:
        _validate(body, schema, spec=SPEC)
    assert refused.value.validator == "oneOf"
    assert list(refused.value.absolute_path) == ["watermarks", 0]
    _validate({"watermarks": [], "fingerprints": [{"alg": "x"}]}, schema, spec=SPEC)


# ---------------------------------------------------------------- /matches/byBinding
def test_by_binding_get_and_post(finished_clip, client):
    clip = finished_clip
    both = [clip.manifest_label, clip.poster_manifest_label]
    assert clip.poster_manifest_label.startswith("urn:c2pa:") and len(set(both)) == 2
    query = {"alg": watermark_alg(), "value": _binding(clip)}

    found = _conforms(client.get(BY_BINDING, query), BY_BINDING)
    assert _ids(found) == both  # the video's manifest and the poster's both state the binding
    assert all(match["similarityScore"] == 100 for match in found["matches"])
    posted = client.post(BY_BINDING, query, content_type="application/json")
    assert _conforms(posted, BY_BINDING, "post") == found
    first = client.post(f"{BY_BINDING}?maxResults=1", query, content_type="application/json")
    assert _ids(_conforms(first, BY_BINDING, "post")) == both[:1]
    assert _ids(_conforms(client.get(BY_BINDING, {**query, "maxResults": 1}), BY_BINDING)) == [
        clip.manifest_label
    ]
    # A client that does not encode the query: its '+' arrives as a space.
    raw = client.get(f"{BY_BINDING}?alg={watermark_alg()}&value={query['value']}")
    assert _conforms(raw, BY_BINDING) == found

    nobody = {"alg": watermark_alg(), "value": base64.b64encode(b"\0" * 8).decode()}
    assert _conforms(client.get(BY_BINDING, nobody), BY_BINDING) == {"matches": []}
    nobody_posted = client.post(BY_BINDING, nobody, content_type="application/json")
    assert _conforms(nobody_posted, BY_BINDING, "post") == {"matches": []}

    # A manifest whose stored file is gone is not offered (and its id answers 404).
    Clip.objects.filter(pk=clip.pk).update(poster_manifest_store="")
    assert _ids(_conforms(client.get(BY_BINDING, query), BY_BINDING)) == both[:1]
    gone = client.get(f"/manifests/{clip.poster_manifest_label}")
    assert _conforms(gone, MANIFEST)["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    [
        {"value": "ASNFZ4mrze8="},  # alg is required
        {"alg": "ALG"},  # value is required
        {"alg": "org.example.unknown.1", "value": "ASNFZ4mrze8="},
        {"alg": "ALG", "value": "!!not base64!!"},
        {"alg": "ALG", "value": base64.b64encode(b"\0" * 9).decode()},  # not 8 bytes
        {"alg": "ALG", "value": "ASNFZ4mrze8=", "maxResults": 0},
        {"alg": "ALG", "value": "ASNFZ4mrze8=", "maxResults": "ten"},
    ],
)
def test_by_binding_refuses_an_invalid_query(query, client):
    query = {k: watermark_alg() if v == "ALG" else v for k, v in query.items()}
    assert _conforms(client.get(BY_BINDING, query), BY_BINDING)["code"]
    body = {k: v for k, v in query.items() if k != "maxResults"}
    limit = f"?maxResults={query['maxResults']}" if "maxResults" in query else ""
    posted = client.post(BY_BINDING + limit, body, content_type="application/json")
    assert _conforms(posted, BY_BINDING, "post")["code"]


def test_by_binding_limits(client):
    too_long = client.get(BY_BINDING, {"alg": watermark_alg(), "value": "A" * 3000})
    assert _conforms(too_long, BY_BINDING)["code"] == "query_too_long"  # 414: use POST
    for body in (b"not json", b"[1, 2]", b"{}"):
        refused = client.post(BY_BINDING, body, content_type="application/json")
        assert _conforms(refused, BY_BINDING, "post")["code"]
    # Beyond what the document lists: a body that is not JSON (415) or is too large (413).
    as_text = client.post(BY_BINDING, b'{"alg": "a", "value": "b"}', content_type="text/plain")
    assert _json_error(as_text, 415)
    huge = json.dumps({"alg": watermark_alg(), "value": "A" * 70_000})
    assert _json_error(client.post(BY_BINDING, huge, content_type="application/json"), 413)


# ---------------------------------------------------------------- /matches/byContent
def test_by_content_resolves_the_clip_and_its_poster(finished_clip, client):
    clip = finished_clip
    video = Path(clip.video.path).read_bytes()
    poster = Path(clip.poster.path).read_bytes()

    by_video = _conforms(
        client.post(BY_CONTENT, video, content_type="video/mp4"), BY_CONTENT, "post"
    )
    assert _ids(by_video) == [clip.manifest_label, clip.poster_manifest_label]
    assert by_video["matches"][0]["similarityScore"] == 100

    url = f"{BY_CONTENT}?alg={watermark_alg()}&maxResults=1"
    by_poster = _conforms(client.post(url, poster, content_type="image/png"), BY_CONTENT, "post")
    assert _ids(by_poster) == [clip.poster_manifest_label]  # an image: the poster's first

    # The poster stripped of its credentials: our watermark still resolves it.
    stripped = _png(np.asarray(Image.open(io.BytesIO(poster)).convert("RGB")))
    assert b"caBX" in poster and b"caBX" not in stripped
    by_mark = _conforms(client.post(url, stripped, content_type="image/png"), BY_CONTENT, "post")
    assert _ids(by_mark) == [clip.poster_manifest_label]


def test_by_content_does_not_match_other_content(client):
    from skimage import data

    unrelated = _png(np.ascontiguousarray(data.chelsea()[:256, :256]))
    for url in (BY_CONTENT, f"{BY_CONTENT}?alg={watermark_alg()}"):
        answer = client.post(url, unrelated, content_type="image/png")
        assert _conforms(answer, BY_CONTENT, "post") == {"matches": []}


def test_by_content_refusals(client, settings, private_files):
    png = _png(np.zeros((64, 64, 3), np.uint8))
    unsupported = client.post(BY_CONTENT, b"GIF89a\x01\x00\x01\x00", content_type="image/gif")
    assert _conforms(unsupported, BY_CONTENT, "post")["code"] == "unsupported_type"  # 415
    # An algorithm we do not resolve is refused before the upload is examined: 400, which the
    # document does not list for this operation (it lists 200, 415 and 500 only).
    unknown = client.post(f"{BY_CONTENT}?alg=org.example.unknown.1", png, content_type="image/png")
    assert _json_error(unknown, 400)["code"] == "unsupported_algorithm"
    zero = client.post(f"{BY_CONTENT}?maxResults=0", png, content_type="image/png")
    assert _json_error(zero, 400)
    assert _json_error(client.post(BY_CONTENT, b"", content_type="image/png"), 400)
    # The verification's size limit, and the request limit in front of every upload.
    settings.VERIFY_MAX_BYTES = 1000
    too_big = png + b"\0" * 2000
    assert _json_error(client.post(BY_CONTENT, too_big, content_type="image/png"), 413)
    settings.UPLOAD_PORTRAIT_MAX_BYTES = settings.UPLOAD_AUDIO_MAX_BYTES = 10
    huge = client.post(BY_CONTENT, b"\0" * (1024 * 1024 + 100), content_type="image/png")
    assert _json_error(huge, 413)["code"] == "too_large"
    assert huge["Access-Control-Allow-Origin"] == "*"
    assert private_files() == []


def test_by_content_shares_the_verification_rate_limit(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify": "0/min"}
    throttled = client.post(BY_CONTENT, b"GIF89a", content_type="image/gif")
    assert _json_error(throttled, 429)["code"] == "throttled"
    assert int(throttled["Retry-After"]) >= 1
    assert throttled["Access-Control-Allow-Origin"] == "*"


# ---------------------------------------------------------------- /manifests/{manifestId}
def test_manifests_serve_the_video_and_the_poster_store(finished_clip, client):
    import c2pa

    from provenance.jumbf import manifest_labels

    clip = finished_clip
    for label, field in (
        (clip.manifest_label, clip.manifest_store),
        (clip.poster_manifest_label, clip.poster_manifest_store),
    ):
        url = f"/manifests/{label}"
        store = _conforms(client.get(url), MANIFEST)
        assert store == field.read() and manifest_labels(store) == [label]
        reader = c2pa.Reader("application/c2pa", io.BytesIO(store))
        try:
            assert json.loads(reader.json())["active_manifest"] == label
        finally:
            reader.close()
        assert _conforms(client.get(url, {"returnActiveManifest": "false"}), MANIFEST) == store
        active = _conforms(client.get(url, {"returnActiveManifest": "true"}), MANIFEST)
        assert manifest_labels(active) == [label] and active == store  # one manifest already
        # A client asking for the media type it expects gets it (not a 406).
        assert client.get(url, HTTP_ACCEPT="application/c2pa").content == store
    bad_flag = client.get(f"/manifests/{clip.manifest_label}", {"returnActiveManifest": "maybe"})
    assert _json_error(bad_flag, 400)


@pytest.mark.parametrize(
    "manifest_id",
    [
        "urn:c2pa:unknown",
        "urn:c2pa:00000000-0000-4000-8000-00000000000",  # a digit short
        "urn:uuid:not-a-uuid",
        f"{UNKNOWN_ID}:a:b:c",
        f"{UNKNOWN_ID}:{'x' * 33}",  # a claim generator id of more than 32 characters
        "../../etc/passwd",
        "x" * 500,
    ],
)
def test_a_malformed_manifest_id_is_400(manifest_id, client):
    assert _conforms(client.get(f"/manifests/{manifest_id}"), MANIFEST)["code"] == (
        "invalid_manifest_id"
    )


@pytest.mark.parametrize(
    "manifest_id",
    [
        UNKNOWN_ID,
        f"{UNKNOWN_ID}:likeness",
        f"{UNKNOWN_ID}:likeness:v2_1",
        f"urn:uuid:{UNKNOWN_ID[9:]}",
    ],
)
def test_an_unknown_manifest_id_is_404(manifest_id, client):
    assert _conforms(client.get(f"/manifests/{manifest_id}"), MANIFEST)["code"] == "not_found"


# ---------------------------------------------------------------- methods, CSRF, CORS
WRONG_METHODS = [
    (BY_BINDING, "put"),
    (BY_BINDING, "delete"),
    (BY_CONTENT, "get"),
    (BY_CONTENT, "put"),
    (f"/manifests/{UNKNOWN_ID}", "post"),
    (f"/manifests/{UNKNOWN_ID}", "delete"),
    (ALGORITHMS, "post"),
    (ALGORITHMS, "patch"),
]


@pytest.mark.parametrize(("path", "method"), WRONG_METHODS)
def test_a_wrong_method_is_a_json_405_not_a_csrf_page(path, method, member):
    browser = Client(enforce_csrf_checks=True, HTTP_ORIGIN=ORIGIN)
    browser.force_login(member)  # a session without its CSRF token: still no 403 page
    response = browser.generic(method.upper(), path, b"{}", content_type="application/json")
    assert _json_error(response, 405)["code"] == "method_not_allowed"
    assert response["Allow"] and response["Access-Control-Allow-Origin"] == "*"


def test_a_session_post_needs_no_csrf_token(member):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    query = {"alg": watermark_alg(), "value": base64.b64encode(b"\0" * 8).decode()}
    answered = browser.post(BY_BINDING, query, content_type="application/json")
    assert answered.status_code == 200 and answered.json() == {"matches": []}


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [
        (BY_BINDING, "GET", ""),
        (BY_BINDING, "POST", "content-type"),
        (BY_CONTENT, "POST", "content-type,authorization"),
        (f"/manifests/{UNKNOWN_ID}", "GET", "authorization"),
        (ALGORITHMS, "GET", ""),
    ],
)
def test_cors_preflight(path, method, headers, client):
    preflight = client.options(
        path,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )
    assert preflight.status_code == 204 and preflight.content == b""
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert method in _listed(preflight["Access-Control-Allow-Methods"])
    allowed = _listed(preflight["Access-Control-Allow-Headers"])
    assert {h.strip().upper() for h in headers.split(",") if h} <= allowed
    assert int(preflight["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in preflight
    assert "Set-Cookie" not in preflight


def _listed(header: str) -> set[str]:
    return {item.strip().upper() for item in header.split(",")}


def test_the_cors_prefixes_cover_every_path_of_the_api():
    from django.urls import reverse

    from config.api_paths import soft_binding_path

    paths = {reverse(name) for name in ("c2pa-matches-by-binding", "c2pa-matches-by-content")}
    paths |= {reverse("c2pa-supported-algorithms")}
    paths |= {reverse("c2pa-manifest", kwargs={"manifestId": UNKNOWN_ID})}
    assert {p.split("/")[1] for p in paths} == {"matches", "manifests", "services"}
    assert all(soft_binding_path(p) for p in paths)
    assert set(SPEC["paths"]) == {BY_BINDING, BY_CONTENT, MANIFEST, ALGORITHMS}


def test_cors_on_the_api_paths_only(client):
    for response in (
        client.get(ALGORITHMS),
        client.get(BY_BINDING),  # an error answers any origin too
        client.get("/matches/nothing-here"),
    ):
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response
        assert "RETRY-AFTER" in _listed(response["Access-Control-Expose-Headers"])
    assert _json_error(client.get("/matches/nothing-here"), 404)["code"] == "not_found"
    for elsewhere in ("/verify/", "/api/schema/", "/healthz"):
        assert "Access-Control-Allow-Origin" not in client.get(elsewhere), elsewhere
        preflight = client.options(elsewhere, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
        assert "Access-Control-Allow-Origin" not in preflight, elsewhere


# ---------------------------------------------------------------- /api/schema/
@functools.cache
def _our_schema() -> dict:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _resolve(schema: dict, root: dict) -> dict:
    while "$ref" in schema:
        schema = functools.reduce(lambda node, key: node[key], schema["$ref"][2:].split("/"), root)
    return schema


def _agrees(ours: dict, theirs: dict, root: dict, where: str) -> None:
    """Our schema states every constraint of the document's (type, bounds, default, the same
    properties, at least its required ones), recursively."""
    ours, theirs = _resolve(ours, root), _resolve(theirs, CHECKED)
    for key in ("type", "minimum", "maximum", "default"):
        if key in theirs:
            assert ours.get(key) == theirs[key], (where, key, ours, theirs)
    if "properties" in theirs:
        assert set(ours["properties"]) == set(theirs["properties"]), where
        for name, schema in theirs["properties"].items():
            _agrees(ours["properties"][name], schema, root, f"{where}.{name}")
    assert set(theirs.get("required", ())) <= set(ours.get("required", ())), where
    if "items" in theirs:
        _agrees(ours["items"], theirs["items"], root, f"{where}[]")


@pytest.mark.parametrize(
    ("path", "method"),
    [(path, method) for path, item in SPEC["paths"].items() for method in item],
)
def test_our_openapi_schema_describes_the_operation_as_the_document_does(path, method):
    ours_root = _our_schema()
    theirs = SPEC["paths"][path][method]
    ours = ours_root["paths"][path][method]
    where = f"{method.upper()} {path}"
    assert ours["operationId"] == theirs["operationId"], where
    our_parameters = {(p["name"], p["in"]): p for p in ours.get("parameters", [])}
    for parameter in theirs.get("parameters", []):
        key = (parameter["name"], parameter["in"])
        assert key in our_parameters, (where, key)
        mine = our_parameters[key]
        assert bool(mine.get("required")) == bool(parameter.get("required")), (where, key)
        _agrees(mine["schema"], parameter["schema"], ours_root, f"{where} {key[0]}")
    assert len(our_parameters) == len(theirs.get("parameters", [])), where
    if "requestBody" in theirs:
        body, their_body = ours["requestBody"], theirs["requestBody"]
        assert set(body["content"]) == set(their_body["content"]), where
        if "application/json" in their_body["content"]:
            assert body.get("required") is True, where
            _agrees(
                body["content"]["application/json"]["schema"],
                their_body["content"]["application/json"]["schema"],
                ours_root,
                f"{where} body",
            )
    else:
        assert "requestBody" not in ours, where
    for status, response in theirs["responses"].items():
        if status == "500":  # a failure of ours: Django's own error answer
            continue
        assert status in ours["responses"], (where, status)
        if status == "200":
            mine = ours["responses"]["200"]["content"]
            assert set(mine) == set(response["content"]), where
            if "application/json" in response["content"]:
                _agrees(
                    mine["application/json"]["schema"],
                    response["content"]["application/json"]["schema"],
                    ours_root,
                    f"{where} 200",
                )
