"""Request-side helpers: htmx answers, error pages, access checks, arguments, paging, headers."""
