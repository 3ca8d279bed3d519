from core.errors import ConflictError, InvalidInputError, NotFoundError


class LocationNotFound(NotFoundError):
    def __init__(self, key: int | str) -> None:
        super().__init__(f"No location with id or slug '{key}'.")


class ServiceNotFound(NotFoundError):
    def __init__(self, code: str) -> None:
        super().__init__(f"No service with code '{code}'.")


class ServiceLineNotFound(NotFoundError):
    def __init__(self, code: str) -> None:
        super().__init__(f"No service line with code '{code}'.")


class ProviderNotFound(NotFoundError):
    def __init__(self, provider_id: int) -> None:
        super().__init__(f"No provider with id {provider_id}.")


class DuplicateCode(ConflictError):
    def __init__(self, what: str, field: str, value: str) -> None:
        super().__init__(f"A {what} with {field} '{value}' already exists.", slug=f"duplicate-{field}")


class UnknownReference(InvalidInputError):
    """A code or id in the request body that names nothing."""

    def __init__(self, field: str, message: str, *, location: str = "body") -> None:
        error = InvalidInputError.for_field(field, message, location=location)
        super().__init__(error.detail, errors=error.errors)
