"""Errors that services raise for rules a person can break; views turn them into messages."""


class ServiceError(Exception):
    """A refused state change, with a message meant for the person who asked."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DeadlinePassed(ServiceError):
    status_code = 403


class NotAllowed(ServiceError):
    status_code = 403
