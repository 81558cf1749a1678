"""§4.2: files sent with a request the vendor logs by phone belong to the client, who sees them in the portal."""

import io

from sqlalchemy import select

from saas.requests import services


def test_s4_2_files_sent_with_a_logged_request_are_the_clients_to_see(office_alpha, world, db, client):
    alpha = office_alpha
    from saas.team import services as team

    member = team.save_member(alpha["tenant"], {"name": "李工", "team_role": "system_engineer"})
    team.save_rule(alpha["tenant"], {"category_id": alpha["cats"]["FAULT"].id, "team_role": "system_engineer"})
    db.session.commit()
    client.sign_in(world.person("alpha", "vendor_engineer").email)
    client.post_form(
        "/t/alpha/requests/new",
        {
            "client_id": world.clients("alpha")[0].id,
            "category_id": alpha["cats"]["FAULT"].id,
            "priority": "normal",
            "channel": "phone",
            "subject": "故障",
            "attachment": (io.BytesIO(b"log"), "trace.log"),
        },
        content_type="multipart/form-data",
    )
    req = db.session.scalar(select(services.ServiceRequest))
    assert req.assignee_id == member.id
    client.post_form("/logout")
    client.sign_in(world.person("alpha", "client_user").email)
    assert "trace.log" in client.get(f"/t/alpha/portal/requests/{req.id}").get_data(as_text=True)
