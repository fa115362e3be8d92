"""The Locust load shape of a profile: users to run now, and the arrival rate to ask for.

Locust calls `tick` about once a second on the master. Closed model: the users the stage asks
for at this moment (linear on ramps). Open model: a constant pool of `max_users` and, sent to
every worker, its share of the arrival rate asked now.
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

    def tick(self) -> tuple[int, float] | None:
        t = float(self.get_run_time())  # type: ignore[no-untyped-call]
        plan = stage_at(self.plans, t)
        if plan is None:
            self.asked = 0.0
            self.on_rate(0.0)
            return None
        self.asked = plan.value_at(t)
        if self.open_model:
            self.on_rate(self.asked)
            return (self.max_users, float(self.max_users))
        users = round(self.asked)
        # spawn fast enough to follow a ramp second by second, and a spike at once
        return (users, float(max(users, 1)))
