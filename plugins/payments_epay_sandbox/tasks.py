"""Jobs of the sandbox gateway: delivering its notifications, as Alipay does, until acknowledged."""

import logging

from plugins.payments_epay_sandbox import gateway as sandbox
from plugins.payments_epay_sandbox.models import SandboxTrade
from saas.core.clock import now
from saas.extensions import db
from saas.jobs import enqueue, task

log = logging.getLogger(__name__)
#: Alipay tries a notification 8 times over 25 hours; RQ here: 10 s, 1 min, then every 5 min.
RETRIES = 8


@task
def deliver_notification(trade_id: int, status: str) -> None:
    """POST the sandbox trade's signed notification to the merchant; raises (so RQ retries) until "success"."""
    trade = db.session.get(SandboxTrade, trade_id)
    if trade is None or trade.status != status or trade.notified_at is not None:
        return  # gone, moved on to another status, or acknowledged already
    params = sandbox.notification(trade)
    url = trade.notify_url
    trade.notify_attempts += 1
    db.session.commit()  # the attempt counts even if the merchant never answers
    sandbox.post_notification(url, params)
    trade = db.session.get(SandboxTrade, trade_id)
    trade.notified_at = now()
    db.session.commit()


def notify(trade: SandboxTrade) -> None:
    """Deliver the trade's notification in the background; without Redis it is posted at once and a refusal logged.

    The job id names the trade and its status, so the same notification is never queued twice.
    """
    try:
        enqueue(
            deliver_notification,
            trade.id,
            trade.status,
            job_id=f"payments_epay-notify-{trade.id}-{trade.status}",
            retries=RETRIES,
            timeout=60,
        )
    except sandbox.NotAcknowledged as exc:  # inline mode runs no retries: the merchant's reconciliation settles it
        log.warning("sandbox notification of trade %s not acknowledged: %s", trade.out_trade_no, exc)
