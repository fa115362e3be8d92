"""When `journey serve` runs a journey: every so often, or on a cron expression, with jitter.

Validated at load like the rest of the journey file (a cron expression that APScheduler's own
parser refuses is a file:line:column error, exit 2), so serve never starts on a schedule it
cannot keep. The trigger itself is built in runner/serve/, which owns the scheduler.
"""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from runner.spec.units import Duration

DEFAULT_EVERY_S = 60.0  # a journey without a schedule, and no --every or --cron, runs each minute
MAX_JITTER_SHARE = 0.5  # jitter beyond half the interval would let two runs fire back to back


class Schedule(BaseModel):
    """`schedule: {every: 30s}` or `schedule: {cron: "*/5 * * * *"}`, optionally `jitter: 2s`.

    Without `jitter`, serve applies a tenth of the interval (at most 30 s), so that serves in
    several regions probing one shop never fire in lockstep.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    every: Duration | None = Field(default=None, gt=0)
    cron: str | None = None
    jitter: Duration | None = None

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, expression: str | None) -> str | None:
        if expression is not None:
            check_cron(expression)
        return expression

    @model_validator(mode="after")
    def _one_kind(self) -> Schedule:
        if (self.every is None) == (self.cron is None):
            raise ValueError("expected exactly one of every: or cron:")
        if self.every is not None and self.jitter is not None:
            if self.jitter > self.every * MAX_JITTER_SHARE:
                raise ValueError(
                    f"jitter {self.jitter:g}s is more than half of every {self.every:g}s"
                )
        return self


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # crontab: 0 and 7 are Sunday


def cron_fields(expression: str) -> dict[str, str]:
    """A crontab expression as APScheduler's CronTrigger fields, weekdays meaning what cron means.

    APScheduler 3 numbers weekdays from Monday = 0 (its issue 286), crontab from Sunday = 0, so
    `0 9 * * 1-5` would fire Tuesday to Saturday: numeric weekdays become names here, which
    both read alike. Raises ValueError naming what is wrong.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            "expected a cron expression of 5 fields (minute hour day month weekday), "
            f"got {expression[:60]!r}"
        )
    minute, hour, day, month, weekday = fields
    out = {"minute": minute, "hour": hour, "day": day, "month": month}
    out["day_of_week"] = ",".join(_weekday_names(token) for token in weekday.split(","))
    try:
        CronTrigger(**out, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {expression[:60]!r}: {exc}") from None
    return out


def check_cron(expression: str) -> None:
    """Raise ValueError naming what is wrong with a five-field crontab expression."""
    cron_fields(expression)


def _weekday_names(token: str) -> str:
    body, _, step_text = token.partition("/")
    if any(c.isalpha() for c in body) or (body == "*" and not step_text):
        return token  # names (mon-fri) and a plain * mean the same to both
    if body == "*":
        first, last = 0, 6
    elif "-" in body:
        low, _, high = body.partition("-")
        first, last = _weekday_number(low), _weekday_number(high)
    else:
        first = last = _weekday_number(body)
    step = _weekday_number(step_text) if step_text else 1
    if step < 1 or first > last:
        raise ValueError(f"invalid weekday {token!r}: expected 0-7 (0 and 7 are Sunday)")
    days = sorted({_WEEKDAYS[n] for n in range(first, last + 1, step)}, key=_WEEKDAYS.index)
    return ",".join(days)


def _weekday_number(text: str) -> int:
    if not text.isdigit() or int(text) > 7:
        raise ValueError(f"invalid weekday {text!r}: expected 0-7 (0 and 7 are Sunday)")
    return int(text)
