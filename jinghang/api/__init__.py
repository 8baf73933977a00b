"""jinghang.api: the FastAPI application (``app.create_app``), its routes, authentication and
roles, the input guard and limits, the CPU worker pool, problem responses with codes, the
WebSocket, and the ``serve`` and ``demo`` commands; docs/INTERFACES.md lists the routes."""
