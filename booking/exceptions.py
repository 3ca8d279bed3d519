from core.errors import ConflictError, InvalidInputError, NotFoundError


class SlotUnavailable(ConflictError):
    def __init__(self, detail: str = "That time was just taken. Please pick another time.") -> None:
        super().__init__(detail, slug="slot-unavailable", title="Slot unavailable")


class HoldNotFound(NotFoundError):
    def __init__(self) -> None:
        super().__init__(
            "No live hold with this id; it may have expired or been released.", slug="hold-not-found"
        )


class HoldExpired(ConflictError):
    def __init__(self) -> None:
        super().__init__(
            "The hold on this time has expired; please pick the time again.",
            slug="hold-expired",
            title="Hold expired",
        )


class AppointmentNotFound(NotFoundError):
    def __init__(self) -> None:
        # Same words for an unknown code and a wrong token: nothing hints that a code exists.
        super().__init__(
            "No appointment matches this confirmation code and token.", slug="appointment-not-found"
        )


class AppointmentNotChangeable(ConflictError):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"This appointment is {status} and can no longer be changed.", slug="appointment-not-changeable"
        )


class IdempotencyKeyReused(InvalidInputError):
    def __init__(self) -> None:
        error = InvalidInputError.for_field(
            "Idempotency-Key",
            "this key was already used with a different request body; use a new key for a new request",
            location="header",
        )
        super().__init__(error.detail, errors=error.errors, slug="idempotency-key-reused")


class IdempotentRequestInProgress(ConflictError):
    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; retry in a moment.",
            slug="idempotent-request-in-progress",
            headers={"Retry-After": "1"},
        )
