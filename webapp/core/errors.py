"""The one exception services raise for a rule the user broke; the message is shown as is."""


class ServiceError(Exception):
    """A refused change: `message` is user-facing Chinese, `field` names the form field if any."""

    def __init__(self, message: str, field: str | None = None, code: int = 422):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
