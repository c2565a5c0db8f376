"""Orders: ops create them and mark them 已交付 (the page, the CLI and the JSON API share
service.py)."""
