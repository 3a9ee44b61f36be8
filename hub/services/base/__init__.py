"""The skeleton every managed service is built on, one concern a module.

- `settings`: `ServiceSettings`, the one Configurable of a service that the hub (to build
  its JupyterHub service entry, `service_entry`) and the service process both read.
- `app`: `ServiceApp`, the service process: its settings handed over by the hub, logging
  in the hub's format, the HTTP server and a clean stop on SIGTERM.
- `auth`: `ServiceHandler`, who is calling (hub token or OAuth cookie, cached
  `auth_cache_max_age` seconds) as a `Viewer`, and the seam in-process tests set.
- `errors`: `ServiceError`, the one exception a service's core raises on purpose, and the
  handler side that renders every error as ``{"error", "message", "field"}`` JSON.
- `routes`: `Route`, one line of a service's route table, and the URL specs built from it.
- `openapi`: the OpenAPI document generated from a route table.
- `logs`: request logs without the credentials a URL may carry.

A new service writes only what is its own: a `ServiceSettings` subclass, a core that
raises `ServiceError`s, handlers over `ServiceHandler`, a route table, a `ServiceApp`
subclass and a hub-side entry function that calls `service_entry`.
"""
