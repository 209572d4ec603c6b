"""The HTTP application around `hogo.api` and `hogo.web`, and what the two share.

Below both: `deps` (request-scoped session, principal, settings, db, `run_db`). Above both:
`app` (assembles the ASGI application), `middleware`, `guard` and `limits` (request hardening,
which know the bearer tokens of the one and the session cookies of the other), `server` (how
uvicorn serves it) and `openapi` (prints the API's document from the assembled app). The
import-linter contracts in pyproject.toml keep it so.
"""
