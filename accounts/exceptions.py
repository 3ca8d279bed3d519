from core.errors import AuthenticationRequired, ConflictError, NotFoundError


class StaffUserNotFound(NotFoundError):
    def __init__(self, staff_id: int) -> None:
        super().__init__(f"No staff user with id {staff_id}.")


class EmailAlreadyUsed(ConflictError):
    def __init__(self, email: str) -> None:
        super().__init__(f"A staff user with email {email} already exists.", slug="duplicate-email")


class InvalidCredentials(AuthenticationRequired):
    def __init__(self) -> None:
        super().__init__("The email or password is wrong, or the account is inactive.")
