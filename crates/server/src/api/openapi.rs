//! `GET /api/v1/openapi.json`: an OpenAPI 3.1 document generated from the route table, so it lists every API
//! route that exists.

use axum::Json;

use crate::routes::{route_table, Access};

pub async fn document() -> Json<serde_json::Value> {
    let mut paths = serde_json::Map::new();
    for r in route_table()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
    {
        let params: Vec<_> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| serde_json::json!({"name": name, "in": "path", "required": true, "schema": {"type": "integer"}}))
            .collect();
        let mut op = serde_json::json!({
            "summary": r.summary,
            "parameters": params,
            "responses": {
                "200": {"description": "OK"},
                "401": {"$ref": "#/components/responses/Error"},
                "403": {"$ref": "#/components/responses/Error"},
                "404": {"$ref": "#/components/responses/Error"},
                "413": {"$ref": "#/components/responses/Error"},
                "422": {"$ref": "#/components/responses/Error"}
            }
        });
        if r.access == Access::Public {
            op["security"] = serde_json::json!([]);
        }
        let entry = paths
            .entry(r.path.to_string())
            .or_insert_with(|| serde_json::json!({}));
        entry[r.method.to_lowercase()] = op;
    }
    Json(serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "canhgac API", "version": env!("CARGO_PKG_VERSION")},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "Error", "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {"error": {"type": "object", "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"},
                    "fields": {"type": "array", "items": {"type": "object"}}
                }}}
            }}}}}
        }
    }))
}
