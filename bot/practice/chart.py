"""The report's chart: weekly questions, escalation response times and hours, as one PNG.

matplotlib's object API on the Agg canvas: no display, no pyplot global state, so it can
render in a worker thread while the event loop keeps serving chat.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

ASKED = "#4C72B0"
CAIO = "#DD8452"
LATE = "#C44E52"
HOURS = "#55A868"


@dataclass(frozen=True)
class ChartData:
    title: str
    weeks: list[str]  # week labels ("16 Nov")
    ai_answers: list[int]
    caio_answers: list[int]
    questions: list[int]
    # ("#12", office hours to answer or None when open, late: missed its due time)
    escalations: list[tuple[str, float | None, bool]]
    target_hours: float
    days: list[int]  # day of month with hours logged
    cumulative_hours: list[float]
    retainer_hours: float
    month_days: int


def render_png(data: ChartData) -> bytes:
    # Imported here: matplotlib costs most of a second, and every `caio-bot` command would
    # pay it at start-up otherwise.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 4), dpi=100)
    weekly, response, hours = figure.subplots(1, 3)
    figure.suptitle(data.title)

    x = list(range(len(data.weeks)))
    weekly.bar(x, data.ai_answers, color=ASKED, label="answered by AI")
    weekly.bar(x, data.caio_answers, bottom=data.ai_answers, color=CAIO, label="by the CAIO")
    weekly.plot(x, data.questions, "k.-", label="questions asked")
    weekly.set_xticks(x, data.weeks)
    weekly.yaxis.get_major_locator().set_params(integer=True)
    weekly.set_title("Questions per week")
    weekly.legend(fontsize="small")

    if data.escalations:
        labels = [label for label, _, _ in data.escalations]
        values = [value or 0.0 for _, value, _ in data.escalations]
        colours = [LATE if late else CAIO for _, _, late in data.escalations]
        response.bar(labels, values, color=colours, width=0.5)
        response.axhline(data.target_hours, color="k", linestyle="--", label="target")
        response.legend(fontsize="small")
    else:
        response.text(0.5, 0.5, "no escalations", ha="center", va="center")
    response.set_title("Escalation response (office hours)")

    if data.days:
        hours.step(data.days, data.cumulative_hours, where="post", color=HOURS, label="used")
    else:
        hours.text(0.5, 0.5, "no hours logged", ha="center", va="center")
    if data.retainer_hours:
        hours.axhline(data.retainer_hours, color="k", linestyle="--", label="retainer")
        hours.legend(fontsize="small")
    hours.set_xlim(1, data.month_days)
    hours.set_ylim(bottom=0)
    hours.set_title("Retainer hours (cumulative)")
    hours.set_xlabel("day of month")

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
