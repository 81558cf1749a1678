"""Periodic jobs for `rq cron saas.cron`: every PeriodicJob that the core and the plugins declare.

Cron strings are read in the cron process's local time; `make run` starts it with TZ=UTC. Without REDIS_URL
the web process runs the same jobs itself (saas/core/scheduler.py).
"""

from rq import cron

from saas.core import plugins


def periodic_jobs():
    """Every PeriodicJob declared through the saas_periodic_jobs hook (the embedded scheduler runs the same list).

    A malformed cron string stops `rq cron` here, naming the plugin that declared it.
    """
    return plugins.periodic_jobs(plugins.build_plugin_manager())


for _job in periodic_jobs():
    cron.register(_job.func, queue_name=_job.queue, cron=_job.cron, job_timeout=_job.timeout)
