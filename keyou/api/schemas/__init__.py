"""Input and output schemas of API v1, one module per resource."""
