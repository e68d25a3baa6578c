"""The API docs page (Swagger UI at `/schema` and `/schema/swagger`), with no CDN.

Litestar's render plugins load their scripts from a CDN, so without internet the docs were a
blank page. Swagger UI's files come from the `swagger-ui-bundle-v2` wheel instead and are served
under `/schema/assets/`. Scalar, the previous default page, ships no Python package: it is gone
rather than blank offline.
"""

from __future__ import annotations

from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

SCHEMA_PATH = "/schema"
ASSETS = f"{SCHEMA_PATH}/assets"


class OfflineSwagger(SwaggerRenderPlugin):
    """Swagger UI from the installed package; the schema's own router serves its files."""

    def __init__(self) -> None:
        super().__init__(
            js_url=f"{ASSETS}/swagger-ui-bundle.js",
            css_url=f"{ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
            path=["/", "/swagger"],
        )

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(
                path="/assets",
                directories=[swagger_ui_path],
                name="openapi-assets",
                include_in_schema=False,
            )
        )
