"""The API's background job: forgetting Idempotency-Keys once no retry can still come."""

from saas.api import idempotency
from saas.jobs import task


@task
def forget_old_idempotency_keys() -> int:
    """Delete the Idempotency-Keys kept longer than their window; returns how many."""
    return idempotency.forget_old()
