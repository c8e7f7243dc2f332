"""The blueprints, one per feature; each is thin (it checks the request and calls the layers below).

Views never import each other: what several need lives in `webapp.http` (reading
requests), `webapp.auth` (who is asking), `webapp.storage` (the database) and
`webapp.staff_pages` (the staff UI's page helpers). Each view module documents
its paths in ``OPENAPI_PATHS`` (read by `webapp.openapi` at start-up).
"""
