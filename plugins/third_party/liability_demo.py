"""Demo rows of Part 2 §1.2–§6.3 on the demo's first client agreement: the approved subcontractor's intervention
with its written notice, the negotiation that followed, and a claim against it within the cap."""

from datetime import timedelta
from decimal import Decimal

from plugins.third_party import interventions, liability
from saas.core.clock import frozen_at, local_today, now
from saas.core.money import quantize

#: The evidence sent with the notice: the call log of the day.
CALL_LOG = (
    "2026 call log · 通话记录\n09:05 分包商确认无法到场 The subcontractor confirms it cannot come on site\n".encode()
)


def seed_liability(tenant, contract, subcontractor, admin) -> None:
    """Record the intervention and send its notice, note a negotiation, and claim a penalty within the cap."""
    today = local_today(tenant)
    with frozen_at(now() - timedelta(days=2)) as clock:
        row = interventions.record(
            contract,
            "B",
            admin,
            {
                "subcontractor_id": subcontractor.id,
                "occurred_on": today - timedelta(days=3),
                "description": "分包商驻场工程师未按约定时间到场更换故障硬盘。"
                "The subcontractor's on-site engineer did not arrive on time to replace the failed disk.",
                "cause": "service_quality",
                "effect_time": "硬盘更换推迟一天。Disk replacement one day late.",
                "effect_cost": "加急备件运费。Express freight for the spare part.",
                "effect_cost_amount": Decimal("380.00"),
                "effect_service": "存储阵列降级运行一天。Storage array degraded for a day.",
            },
        )
        interventions.notify(
            row,
            "B",
            admin,
            {
                "subject": "第三方介入通知 Notice of a third party's intervention (Part 2 §2.1)",
                "body_zh": "我方分包商未按约定时间到场，我方已改派本公司工程师，详见附件通话记录。",
                "body_en": "Our subcontractor did not arrive on time; we have sent our own engineer. "
                "Call log attached.",
            },
            [("call-log.txt", "text/plain", CALL_LOG)],
        )
        clock.advance(hours=3)
        interventions.negotiate(
            row,
            "B",
            admin,
            today - timedelta(days=2),
            "电话会议：甲方同意延期一天，乙方承担加急运费。"
            "Call: Party A accepts one day's delay; Party B bears the freight.",
        )
    remaining = liability.cap_of(contract).remaining
    amount = min(Decimal("500.00"), quantize(remaining / 2, contract.currency))
    if amount <= 0:  # nothing paid under the agreement yet: nothing may be recovered (Part 2 §3.1)
        return
    liability.submit(
        contract,
        "B",
        admin,
        {
            "subcontractor_id": subcontractor.id,
            "kind": "penalty",
            "direct_amount": amount,
            "direct_description": "迟到违约金（分包合同第5条）。Penalty for the late arrival (subcontract art. 5).",
            "indirect_amount": None,
            "intervention_id": row.id,
        },
    )
