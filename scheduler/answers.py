"""Reading a check-in answer: which part answers which question, what the plans are, and
whether it names a blocker. People type one line or several; both must work."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

DEFAULT_QUESTIONS = {
    "standup": (
        "What did you get done yesterday?",
        "What will you do today?",
        "Anything blocking you?",
    ),
    "checkin": (
        "What did you try with AI since the last check-in?",
        "What worked, and what didn't?",
        "Anything blocking you?",
    ),
}
_NONE = re.compile(r"^(none|nothing|no|nope|n/?a|-|no blockers?|all good|nothing blocking)\.?$")
_LABEL = re.compile(
    r"(?i)\b(yesterday|today|blockers?|blocked(?: by| on)?)\s*[:\-–]\s*",
)
# What a question asks, by the words it uses: the labels people type (`yesterday:`,
# `today:`, `blockers:`) find their question this way when the team wrote its own.
_MEANING = {
    "done": ("yesterday", "done", "did", "finish", "complete", "accomplish", "shipped"),
    "plans": ("today", "next", "plan", "will", "going to"),
    "blockers": ("block", "stuck", "imped", "in your way"),
}
_LABEL_ROLES = (("yesterday", "done"), ("today", "plans"), ("blockers", "blockers"))
_ROLE_OF_LABEL = dict(_LABEL_ROLES[:2])
_SEPARATORS = " \t\n|;,"


def parts(questions: tuple[str, ...], text: str) -> list[str]:
    """The answer split to match `questions`: by labels (`today: …`), by lines or `|`
    (spaces around it or not), or else the whole text as the answer to the plans question."""
    labelled = _by_label(questions, text)
    if labelled is not None:
        return labelled
    pieces = [p.strip() for p in re.split(r"\n|\|", text) if p.strip()]
    if len(pieces) == len(questions):
        return pieces
    answer = ["" for _ in questions]
    answer[plans_index(questions)] = " ".join(pieces)
    return answer


def _by_label(questions: tuple[str, ...], text: str) -> list[str] | None:
    """Labelled parts go to the question of that meaning; text before the first label
    answers the first question no label took (`shipped it | today: … | blockers: none`)."""
    marks = list(_LABEL.finditer(text))
    if not marks:
        return None
    answer = ["" for _ in questions]
    taken: set[int] = set()
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(text)
        word = mark.group(1).lower()
        index = _role_index(questions, _ROLE_OF_LABEL.get(word, "blockers"))
        if index is not None:
            answer[index] = text[mark.end() : end].strip(_SEPARATORS)
            taken.add(index)
    before = text[: marks[0].start()].strip(_SEPARATORS)
    free = [i for i in range(len(questions)) if i not in taken]
    if before and free:
        answer[free[0]] = before
    return answer


def _index_for(questions: tuple[str, ...], words: tuple[str, ...]) -> int | None:
    for i, question in enumerate(questions):
        if any(word in question.lower() for word in words):
            return i
    return None


def _role_index(questions: tuple[str, ...], role: str) -> int | None:
    """The question that asks for `role` (done, plans or blockers)."""
    return _roles(questions)[role]


@lru_cache(maxsize=1024)
def _roles(questions: tuple[str, ...]) -> Mapping[str, int | None]:
    """Which question asks what, by its words: `What will you do today?` is the plans
    question, `Done?` the done one. Without such words, plans is the first question that
    is neither done nor blockers (the whole answer goes there when it cannot be split)."""
    blockers = _index_for(questions, _MEANING["blockers"])
    plans = _index_for(questions, _MEANING["plans"])
    done = _index_for(questions, _MEANING["done"])
    if done in {plans, blockers}:
        done = None
    if plans is None or plans == blockers:
        others = [i for i in range(len(questions)) if i not in {blockers, done}]
        plans = others[0] if others else (done if done is not None else 0)
        done = None if done == plans else done
    if done is None:
        rest = [i for i in range(len(questions)) if i not in {blockers, plans}]
        done = rest[0] if rest and rest[0] < plans else None
    return MappingProxyType({"done": done, "plans": plans, "blockers": blockers})


def hint(questions: tuple[str, ...]) -> str:
    """How to answer in one line, naming only the labels that find a question here."""
    roles = _roles(questions)
    labels = [f"{label}: …" for label, role in _LABEL_ROLES if roles[role] is not None]
    return f"one line per question, or `{' | '.join(labels)}`"


def plans_index(questions: tuple[str, ...]) -> int:
    return _roles(questions)["plans"] or 0


def plans(questions: tuple[str, ...], text: str) -> str:
    return parts(questions, text)[plans_index(questions)]


def blocker(questions: tuple[str, ...], text: str) -> str | None:
    """The blocker named in an answer; None when there is none (or the person said so)."""
    index = _role_index(questions, "blockers")
    if index is None:
        return None
    found = parts(questions, text)[index].strip()
    if not found or _NONE.match(found.lower()):
        return None
    return found


def says_no_blocker(questions: tuple[str, ...], text: str) -> bool:
    """An explicit `none` for blockers: the person's open blockers are cleared."""
    index = _role_index(questions, "blockers")
    if index is None:
        return False
    found = parts(questions, text)[index].strip()
    return bool(found) and bool(_NONE.match(found.lower()))
