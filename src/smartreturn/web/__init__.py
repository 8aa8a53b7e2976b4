"""The dashboard and REST API over the same store and domain code as the CLI and the daemon.

``app.create_app(settings)`` builds the ASGI app; ``server.serve(settings)`` runs it with uvicorn.
Pages are server-rendered Jinja (templates/web/), enhanced by htmx where a partial update helps;
every page works without JavaScript.
"""
