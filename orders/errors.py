"""The errors a business rule raises, shared by every layer. A leaf: it imports
nothing of the project, so any module may raise or catch these without a circle."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext

# What a refusal says was refused (its `action`) is a label declared once, in English
# and lower case, marked for the catalogue where it is declared: each transition's on
# the transition (orders.models.ImportCase, read through transition_label), the
# services' own actions where they are raised (billing.services). The labels stay plain
# English (they are stored, logged and serialized); a refusal translates the one it
# names when it is raised, in the language of whoever acts.


def action_words(action: str) -> str:
    """`action` ("confirm delivery") in the active language, lower-cased in English."""
    return gettext(action.lower())


class DomainError(Exception):
    """A business rule refused the request; the message is for the person acting."""


class GuardFailed(DomainError):
    """A guard refused a transition. The message (str) is safe for anyone on the case;
    a problem that staff must see in full (guards.Problem) adds its detail only to
    `for_staff`, which the coordinator's pages and the admin show."""

    def __init__(self, action: str, problems: list[str]) -> None:
        # `action` is English ("confirm delivery"); the text is written when raised,
        # in the language of the request (or task) that raised it. Kept in lower case
        # as declared, whether given as a button's label (transition_label) or not: the
        # API returns it.
        self.action = action.lower()
        self.problems = problems
        super().__init__(self._text(problems))

    def _text(self, problems: list[str]) -> str:
        return gettext("Cannot %(action)s yet. Missing: %(missing)s.") % {
            "action": action_words(self.action),
            "missing": "; ".join(str(problem) for problem in problems),
        }

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
        super().__init__(gettext("Please correct the form: %(errors)s") % {"errors": flat})


class TransitionNotAvailable(DomainError):
    pass
