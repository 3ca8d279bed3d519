from core.errors import AppError, InvalidInputError, NotFoundError, PermissionDenied


class PartnerNotFound(NotFoundError):
    def __init__(self, partner_id: int) -> None:
        super().__init__(f"No partner with id {partner_id}.", slug="partner-not-found")


class InvalidPartnerKey(AppError):
    # A 401 like AuthenticationRequired, but without its bearer-token challenge: a partner key is
    # not a login.
    status = 401
    slug = "invalid-partner-key"
    title = "Unknown partner key"

    def __init__(self) -> None:
        super().__init__(
            "X-Partner-Key names no active partner; check the key in the widget tag, or ask us for a new one."
        )


class OriginNotAllowed(PermissionDenied):
    def __init__(self, origin: str) -> None:
        super().__init__(
            f"The origin {origin} is not among this partner's allowed origins.", slug="origin-not-allowed"
        )


class UnknownServiceLine(InvalidInputError):
    def __init__(self, codes: list[str]) -> None:
        error = InvalidInputError.for_field(
            "service_lines", f"unknown service line code(s): {', '.join(codes)}; see GET /v1/service-lines"
        )
        super().__init__(error.detail, errors=error.errors)


class ServiceNotOfferedToPartner(InvalidInputError):
    def __init__(self, service_name: str, *, location: str) -> None:
        error = InvalidInputError.for_field(
            "service", f"'{service_name}' cannot be booked through this partner", location=location
        )
        super().__init__(error.detail, errors=error.errors, slug="service-not-offered")
