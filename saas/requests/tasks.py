"""Jobs of the requests domain."""

from saas.jobs import task
from saas.requests import sla


@task
def sweep_sla_breaches() -> int:
    """Every minute: record the deadlines that passed unmet (§8.1.2, §8.1.3); safe to run twice."""
    return sla.sweep()
