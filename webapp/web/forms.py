"""Refusals shown where the user typed: one way for every form."""
from webapp.core.errors import ServiceError


def mark_fields(form, exc: ServiceError) -> bool:
    """Put each message of a refusal on the field of `form` it names; False when it names none
    of them (the caller then shows `exc.message` above the form)."""
    placed = False
    for name, message in exc.errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
            placed = True
    return placed
