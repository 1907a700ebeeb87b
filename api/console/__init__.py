"""The web console at ``/console``: server-rendered pages (Jinja2 + vendored htmx) for librarians,
publishers, auditors and the platform, on the API's service layer. Simplified Chinese first."""

from .routes import router

__all__ = ["router"]
