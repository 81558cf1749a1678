"""The requests domain's gauges for /metrics (the saas_metrics hook): how far the SLA sweep is behind."""

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from saas.core.clock import now
from saas.extensions import db
from saas.requests.models import ServiceRequest


class SlaSweepCollector:
    """The age of the oldest deadline that is due and not yet swept: 0 while the sweep keeps up (every minute)."""

    def collect(self):
        at = now()
        oldest = db.session.scalar(
            select(func.min(ServiceRequest.next_due_at)).where(ServiceRequest.is_open, ServiceRequest.next_due_at <= at)
        )
        gauge = GaugeMetricFamily(
            "aftercare_sla_oldest_unswept_deadline_age_seconds",
            "Seconds since the oldest SLA deadline that is due and not yet swept came due (0 when none is).",
        )
        gauge.add_metric([], (at - oldest).total_seconds() if oldest is not None else 0.0)
        return [gauge]
