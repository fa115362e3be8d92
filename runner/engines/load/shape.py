"""The Locust load shape of a profile: users to run now, and the arrival rate to ask for.

Locust calls `tick` about once a second on the master. Closed model: the users the stage asks
for at this moment (linear on ramps). Open model: a constant pool of `max_users` and, sent to
every worker, its share of the arrival rate asked now.

After the last stage (or once the master marks it `finished`) it never returns None: that
would make Locust stop every user at once, mid-request. It keeps the users it has and asks
for no more arrivals; the master's FINISH ends the iterations under way.
"""

from __future__ import annotations

from collections.abc import Callable

from locust import LoadTestShape

from runner.engines.load.timeline import StagePlan, stage_at


class ProfileShape(LoadTestShape):
    """Follows the planned stages; ends the test after the last one."""

    def __init__(
        self,
        plans: list[StagePlan],
        *,
        open_model: bool,
        max_users: int,
        on_rate: Callable[[float], None],
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.plans = plans
        self.open_model = open_model
        self.max_users = max_users
        self.on_rate = on_rate
        self.asked = 0.0
        self.finished = False
        self._last: tuple[int, float] = (0, 1.0)

    def tick(self) -> tuple[int, float] | None:
        t = float(self.get_run_time())  # type: ignore[no-untyped-call]
        plan = None if self.finished else stage_at(self.plans, t)
        if plan is None:
            self.asked = 0.0
            self.on_rate(0.0)
            return self._last
        self.asked = plan.value_at(t)
        self._last = self._shape(self.asked)
        return self._last

    def _shape(self, asked: float) -> tuple[int, float]:
        if self.open_model:
            self.on_rate(asked)
            return (self.max_users, float(self.max_users))
        users = round(asked)
        # spawn fast enough to follow a ramp second by second, and a spike at once
        return (users, float(max(users, 1)))
