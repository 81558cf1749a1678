"""The JSON API (/api/v1) with per-tenant API tokens, its OpenAPI document and the Alertmanager webhook."""
