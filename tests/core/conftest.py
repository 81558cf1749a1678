"""Fixtures of the core's tests: a local webhook receiver (tests/core/webhook_receiver.py)."""

from tests.core.webhook_receiver import receiver, second_receiver  # noqa: F401  (fixtures)
