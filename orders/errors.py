"""The errors a business rule raises, shared by every layer. A leaf: it imports
nothing of the project, so any module may raise or catch these without a circle."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A business rule refused the request; the message is for the person acting."""


class GuardFailed(DomainError):
    """A guard refused a transition. The message (str) is safe for anyone on the case;
    a problem that staff must see in full (guards.Problem) adds its detail only to
    `for_staff`, which the coordinator's pages and the admin show."""

    def __init__(self, action: str, problems: list[str]) -> None:
        self.action = action
        self.problems = problems
        super().__init__(self._text(problems))

    def _text(self, problems: list[str]) -> str:
        return f"Cannot {self.action} yet. Missing: " + "; ".join(problems) + "."

    @property
    def for_staff(self) -> str:
        return self._text([getattr(problem, "staff", problem) for problem in self.problems])

    def message_for(self, user) -> str:
        """The refusal as `user` may read it: in full for a coordinator or an admin."""
        if getattr(user, "is_coordinator", False) or getattr(user, "is_staff", False):
            return self.for_staff
        return str(self)


class CaseConflict(DomainError):
    """Someone else changed the case between loading it and acting on it."""


class InvalidInput(DomainError):
    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = errors
        flat = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        super().__init__(f"Please correct the form: {flat}")


class TransitionNotAvailable(DomainError):
    pass
