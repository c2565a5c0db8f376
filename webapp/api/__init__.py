"""The JSON API for machines: a sales system pushes orders; the OpenAPI description."""
