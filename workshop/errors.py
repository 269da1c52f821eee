"""Errors that services raise for rules a person can break; views turn them into responses.

`NotFound` is for what the actor may not know exists (answered 404, like a missing id, so
ids leak nothing); `NotAllowed` for what they may see but not do (403); `DeadlinePassed`
for a phase that has closed (403); any other `ServiceError` is bad input (400).
"""


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


class NotFound(ServiceError):
    status_code = 404

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)
