"""Helpers for tests that send the same thing twice at the same moment, as a double click or two people do."""

import re
import threading

ONCE = re.compile(r'name="_once" value="([^"]+)"')


def once_token(html: str) -> str:
    """The one-time submission token of the (first) form on a page, as a browser would send it back."""
    match = ONCE.search(html)
    assert match, "no one-time submission token on the page"
    return match.group(1)


def at_once(*calls, timeout: float = 60) -> list:
    """Run each call in its own thread, all released at the same moment; their answers in call order."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    answers, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait()
            answers[index] = call()
        except Exception as exc:  # noqa: BLE001 (raised below, in the test's thread)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    return answers
