"""Termination for breach (§10.3): after a notice of breach or a request to cure whose deadline passed, the party
that sent it (the party not in breach) may end the agreement by a notice of termination, without the other's
signature. The notice names the cure notice it follows; the agreement ends after the last day it gives."""

from flask_babel import gettext as _

from saas.contracts import changes
from saas.core.clock import local_today
from saas.core.models import User
from saas.extensions import db
from saas.notices.models import Notice, NoticeKind
from saas.notices.services import NoticeError, send_notice

#: The notices whose passed deadline opens the way to termination.
CURE_KINDS = (NoticeKind.CURE, NoticeKind.BREACH)


def refusal(cure: Notice, party: str | None) -> str | None:
    """Why `party` may not terminate on this notice, or None when it may."""
    if cure.kind not in CURE_KINDS or cure.deadline is None:
        return _("Only a notice of breach or a request to cure with a deadline opens the way to termination.")
    if party != cure.sender_party:
        return _("Only the party that sent the notice, the party not in breach, may terminate on it.")
    if cure.contract.status not in changes.IN_FORCE:
        return _("The agreement is no longer in force.")
    if local_today(cure.contract.tenant) <= cure.deadline:
        return _(
            "The deadline to cure runs until %(day)s: termination is possible from the day after.",
            day=cure.deadline.isoformat(),
        )
    return None


def terminate_for_breach(
    cure: Notice, party: str, actor: User, data: dict, files: list[tuple[str, str, bytes]] = ()
) -> Notice:
    """Send the notice of termination for breach and end the agreement after its last day, in the caller's
    transaction: both or neither."""
    reason = refusal(cure, party)
    if reason:
        raise NoticeError(reason)
    return terminate_on(cure, party, actor, data, files, clause="10.3")


def terminate_on(
    refers_to: Notice, party: str, actor: User, data: dict, files: list[tuple[str, str, bytes]] = (), *, clause: str
) -> Notice:
    """Send the notice of termination that follows `refers_to` and end the agreement after its last day, in the
    caller's transaction. The caller has established `party`'s right to terminate: a passed cure deadline (above),
    or a dispute about a third party unresolved by its deadline (Part 2 §7.2)."""
    contract = refers_to.contract
    last_day = data.get("last_day")
    if last_day is None:
        raise NoticeError(_("Give the last day the agreement is in force."))
    changes.check_termination_day(contract, last_day)  # before a notice is numbered
    notice = send_notice(
        contract,
        party,
        actor,
        {
            "kind": NoticeKind.TERMINATION,
            "clause": clause,
            "subject": data.get("subject"),
            "body_zh": data.get("body_zh"),
            "body_en": data.get("body_en"),
            "deadline": last_day,
        },
        files,
        refers_to=refers_to,
    )
    changes.terminate_for_breach(contract, last_day, actor, note=notice.number)
    db.session.flush()
    return notice
