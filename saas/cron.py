"""Periodic jobs for `rq cron saas.cron`: every PeriodicJob that the core and the plugins declare.

Cron strings are read in the cron process's local time; `make run` starts it with TZ=UTC.
"""

from rq import cron

from saas.core.plugins import build_plugin_manager


def periodic_jobs():
    """Every PeriodicJob declared through the saas_periodic_jobs hook."""
    return [job for jobs in build_plugin_manager().hook.saas_periodic_jobs() for job in jobs]


for _job in periodic_jobs():
    cron.register(_job.func, queue_name=_job.queue, cron=_job.cron, job_timeout=_job.timeout)
