"""The API's documentation behind the login: Swagger UI at ``/docs`` (a logged-in page) and the OpenAPI schema at
``/api/v1/openapi.json`` (session or HTTP Basic, as the API).

Swagger UI's script, style sheet and icon are served by chiso itself from the installed ``fastapi-swagger``
package (no CDN): the documentation works on an office network without internet, like every page.

The schema says what the API really answers: errors are ``ChisoError`` JSON objects, a bad parameter is 400 (not
FastAPI's 422), and every operation may answer 401 without a login.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response

from chiso.web.context import Ctx, api_ctx, page_ctx

OPENAPI_URL = "/api/v1/openapi.json"
ASSETS = "/static/swagger"
ASSET_TYPES = {  # the files Swagger UI needs, as the package ships them
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
router = APIRouter(include_in_schema=False)

ERROR_SCHEMA = {
    "title": "Lỗi",
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "Thông báo (tiếng Việt)"},
        "status": {"type": "integer"},
        "hint": {"type": ["string", "null"], "description": "Gợi ý cách khắc phục"},
        "detail": {"type": ["string", "null"], "description": "Chi tiết kỹ thuật"},
    },
    "required": ["error", "status"],
}


def _error(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Loi"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


@router.get(OPENAPI_URL)
def openapi_json(request: Request, ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def swagger(request: Request, ctx: Ctx = Depends(page_ctx)) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{request.app.title} — API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        swagger_ui_parameters={"defaultModelsExpandDepth": -1},
    )


@router.get(ASSETS + "/{name}")
def swagger_asset(name: str) -> Response:
    """Swagger UI's own files from the installed package (public, like the other static files)."""
    if name not in ASSET_TYPES:
        raise HTTPException(404, "Không có tệp này")
    body = resources.files("fastapi_swagger.resources").joinpath(name).read_bytes()
    return Response(body, media_type=ASSET_TYPES[name], headers={"Cache-Control": "max-age=86400"})


def install(app: FastAPI) -> None:
    """Serve the documentation through :data:`router` and describe the errors the API really answers."""
    app.include_router(router)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                responses["400"] = _error("Tham số không hợp lệ")
                responses["401"] = _error("Cần đăng nhập (cookie phiên hoặc HTTP Basic)")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components["Loi"] = ERROR_SCHEMA
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
