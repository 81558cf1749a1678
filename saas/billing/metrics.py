"""The billing domain's gauges for /metrics (the saas_metrics hook): the last billing run's duration and result."""

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from saas.billing.models import BillingRun
from saas.core.clock import now
from saas.extensions import db


class BillingRunCollector:
    """The last run day's billing, every tenant's together: when it started, how long it took, whether it finished.

    A run is finished when each tenant's row of that day has its finished_at (every chunk reported); while one
    has not, the duration counts on to now and the result is 0.
    """

    def collect(self):
        day = db.session.scalar(select(func.max(BillingRun.run_day)))
        started = GaugeMetricFamily(
            "aftercare_billing_last_run_started_timestamp_seconds", "When the last billing run began (Unix time)."
        )
        duration = GaugeMetricFamily(
            "aftercare_billing_last_run_duration_seconds",
            "How long the last billing run took, from its first start to its last chunk (so far, if unfinished).",
        )
        finished = GaugeMetricFamily(
            "aftercare_billing_last_run_success", "1 when every tenant's part of the last billing run finished, else 0."
        )
        invoices = GaugeMetricFamily(
            "aftercare_billing_last_run_invoices", "Invoices the last billing run created, every tenant's together."
        )
        if day is None:
            return []
        runs = db.session.scalars(select(BillingRun).where(BillingRun.run_day == day)).all()
        first = min(run.started_at for run in runs)
        done = all(run.finished_at is not None and run.chunks_done >= run.chunks for run in runs)
        last = max(run.finished_at for run in runs) if done else now()
        started.add_metric([], first.timestamp())
        duration.add_metric([], max((last - first).total_seconds(), 0.0))
        finished.add_metric([], 1.0 if done else 0.0)
        invoices.add_metric([], sum(run.invoices_created or 0 for run in runs))
        return [started, duration, finished, invoices]
