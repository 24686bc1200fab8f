"""Web dashboard and JSON API (``chiso serve``): FastAPI, server-rendered Vietnamese pages, Plotly charts."""

from chiso.web.app import create_app
from chiso.web.state import WebOptions

__all__ = ["WebOptions", "create_app"]
