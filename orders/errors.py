"""The errors a business rule raises, shared by every layer. A leaf: it imports
nothing of the project, so any module may raise or catch these without a circle."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext, gettext_noop

# What a refusal says was refused: each transition's label in lower case and the
# services' own actions. Marked here so the catalogue has them (the labels stay plain
# English where they are declared: they are stored, logged and serialized); a refusal
# translates the one it names when it is raised, in the language of whoever acts.
ACTIONS = (
    gettext_noop("submit for verification"),
    gettext_noop("request information"),
    gettext_noop("answer and resubmit"),
    gettext_noop("verify prescription"),
    gettext_noop("reject"),
    gettext_noop("file application with the regulator"),
    gettext_noop("record permit"),
    gettext_noop("send the order to the supplier"),
    gettext_noop("dispatch"),
    gettext_noop("arrived at customs"),
    gettext_noop("clear customs"),
    gettext_noop("quarantine"),
    gettext_noop("release after quality review"),
    gettext_noop("reject lot and reorder"),
    gettext_noop("confirm delivery"),
    gettext_noop("close"),
    gettext_noop("put on hold"),
    gettext_noop("resume"),
    gettext_noop("cancel"),
    gettext_noop("resubmit"),
    gettext_noop("reorder"),
)


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
        # in the language of the request (or task) that raised it.
        self.action = action
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
