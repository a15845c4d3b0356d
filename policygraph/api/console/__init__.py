"""The author console: one page at `/console` for policy authors (and read-only for agent keys),
served by the API app with its own static files and the few JSON routes it needs (docs/console.md)."""

from policygraph.api.console.routes import API as CONSOLE_API_PATH
from policygraph.api.console.routes import CONSOLE_PATH, build_console_router, console_required_role

__all__ = ["CONSOLE_API_PATH", "CONSOLE_PATH", "build_console_router", "console_required_role"]
