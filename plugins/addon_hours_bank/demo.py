"""Demo rows of the hours bank: placeholder (filled below)."""


def seed_bank(tenant, session) -> None:
    """The hours-bank offer and the first client's bank."""


def seed_time(tenant, session) -> None:
    """Time logged on the first client's requests."""
