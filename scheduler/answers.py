"""Reading a check-in answer: which part answers which question, what the plans are, and
whether it names a blocker. People type one line or several; both must work."""

from __future__ import annotations

import re

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


def parts(questions: tuple[str, ...], text: str) -> list[str]:
    """The answer split to match `questions`: by labels (`today: …`), by lines or `|`,
    or else the whole text as the answer to the plans question."""
    answer = ["" for _ in questions]
    labelled = _by_label(questions, text)
    if labelled is not None:
        return labelled
    pieces = [p.strip() for p in re.split(r"\n|\s\|\s", text) if p.strip()]
    if len(pieces) == len(questions):
        return pieces
    answer[plans_index(questions)] = " ".join(pieces)
    return answer


def _by_label(questions: tuple[str, ...], text: str) -> list[str] | None:
    marks = list(_LABEL.finditer(text))
    if not marks:
        return None
    answer = ["" for _ in questions]
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(text)
        body = text[mark.end() : end].strip().rstrip(";|,").strip()
        label = mark.group(1).lower()
        index = _index_for(questions, "block" if label.startswith("block") else label)
        if index is not None:
            answer[index] = body
    return answer


def _index_for(questions: tuple[str, ...], word: str) -> int | None:
    for i, question in enumerate(questions):
        if word in question.lower():
            return i
    return None


def plans_index(questions: tuple[str, ...]) -> int:
    found = _index_for(questions, "today")
    if found is not None:
        return found
    blocker = _index_for(questions, "block")
    others = [i for i in range(len(questions)) if i != blocker]
    return others[0] if others else 0


def plans(questions: tuple[str, ...], text: str) -> str:
    return parts(questions, text)[plans_index(questions)]


def blocker(questions: tuple[str, ...], text: str) -> str | None:
    """The blocker named in an answer; None when there is none (or the person said so)."""
    index = _index_for(questions, "block")
    if index is None:
        return None
    found = parts(questions, text)[index].strip()
    if not found or _NONE.match(found.lower()):
        return None
    return found


def says_no_blocker(questions: tuple[str, ...], text: str) -> bool:
    """An explicit `none` for blockers: the person's open blockers are cleared."""
    index = _index_for(questions, "block")
    if index is None:
        return False
    found = parts(questions, text)[index].strip()
    return bool(found) and bool(_NONE.match(found.lower()))
