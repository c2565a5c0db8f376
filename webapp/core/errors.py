"""The domain exceptions services raise for a rule the user broke; the message is shown as is.

Which HTTP status each answers is decided in one place, webapp/web/errors.py `status_of`.
"""


class ServiceError(Exception):
    """A refused change: `message` is user-facing, in the request's language (a translated
    string; a lazy one is resolved here), `field` names the form field if any (`errors` when it
    names several).

    Raised as such it means the input breaks a rule (Invalid); the subclasses say more.
    """

    def __init__(self, message: str, field: str | None = None,
                 errors: dict[str, str] | None = None):
        message = str(message)
        super().__init__(message)
        self.message = message
        self.field = field
        # Every field it names with its message (a form shows each beside its field).
        self.errors = ({name: str(text) for name, text in errors.items()} if errors
                       else ({field: message} if field else {}))


class Invalid(ServiceError):
    """What was sent breaks a rule (a form's field, a bad token)."""


class Forbidden(ServiceError):
    """This kind of account may not do this (a staff account activating a customer's order)."""


class NotFound(ServiceError):
    """The thing does not exist, or is not this user's to see."""


class Conflict(ServiceError):
    """The current state refuses it: taken, already done, not enough left."""


class Expired(ServiceError):
    """It was valid once: a superseded link, an expired preview."""


class TooLarge(ServiceError):
    """An upload past its size limit."""


class RateLimited(ServiceError):
    """Too many attempts; the message says when to try again."""

