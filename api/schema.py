"""Additions to the generated OpenAPI schema."""

from __future__ import annotations

PROBLEM_DESCRIPTION = "Problem details (application/problem+json)."
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "description": "urn:npp:problem:<kind>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Invalid input: the messages of each field.",
        },
        "missing": {
            "type": "array",
            "items": {"type": "string"},
            "description": "A guard's refusal: each thing missing, as the page names it.",
        },
        "action": {"type": "string"},
        "status_now": {"type": "string", "description": "A conflict: the case's state now."},
    },
    "required": ["type", "title", "status", "detail"],
}
# Every authenticated operation may answer these.
ALWAYS = {
    "401": "Not signed in, or the token is unknown, expired or revoked.",
    "403": "Not allowed (a token without the scope, a role without the right).",
    "429": "Too many requests: wait for Retry-After seconds.",
}


def problem_details(result: dict, generator, request, public) -> dict:
    """Problem responses as application/problem+json with their schema, and the
    answers every authenticated operation may give."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            for response in responses.values():
                if response.get("description") == PROBLEM_DESCRIPTION:
                    response["content"] = content
            keyed = any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
            if keyed:
                responses.setdefault(
                    "409",
                    {
                        "description": "The first request with this Idempotency-Key is "
                        "still running.",
                        "content": content,
                    },
                )
                responses.setdefault(
                    "422",
                    {
                        "description": "This Idempotency-Key was used for another request.",
                        "content": content,
                    },
                )
            if operation.get("security") and {"token": []} in operation["security"]:
                for code, text in ALWAYS.items():
                    responses.setdefault(code, {"description": text, "content": content})
    return result


def add_links(result: dict, generator, request, public) -> dict:
    """OpenAPI links from a created case to what follows it (upload a document,
    submit it, read it): clients and Schemathesis's stateful tests follow them."""
    paths = result.get("paths", {})
    created = paths.get("/api/v1/cases", {}).get("post", {}).get("responses", {}).get("201")
    if created is None:
        return result
    reference = {"reference": "$response.body#/reference"}
    links = {
        "GetCase": {"operationId": "cases_retrieve", "parameters": reference},
        "UploadDocument": {"operationId": "documents_create", "parameters": reference},
        "ListDocuments": {"operationId": "documents_list", "parameters": reference},
        "Timeline": {"operationId": "cases_timeline", "parameters": reference},
        "UpdateCase": {"operationId": "cases_update", "parameters": reference},
        "Submit": {"operationId": "cases_transition_submit", "parameters": reference},
        "Cancel": {"operationId": "cases_transition_cancel", "parameters": reference},
    }
    created["links"] = links
    uploaded = paths.get("/api/v1/cases/{reference}/documents", {}).get("post", {})
    if "201" in uploaded.get("responses", {}):
        # After an upload, the case it went to can be submitted.
        uploaded["responses"]["201"]["links"] = {
            "Submit": {
                "operationId": "cases_transition_submit",
                "parameters": {"reference": "$request.path.reference"},
            }
        }
    return result
