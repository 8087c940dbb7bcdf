from orders.models import CaseEvent
from orders.states import CaseStatus


def test_a_case_walks_from_draft_to_closed_leaving_one_event_per_step(case_in):
    case = case_in(CaseStatus.CLOSED)

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    events = list(CaseEvent.objects.filter(case=case))
    assert [e.transition for e in events] == [
        "create",
        "submit",
        "verify",
        "file_application",
        "record_permit",
        "set_payer",
        "issue_quotation",
        "accept_quotation",
        "record_payment",
        "order_from_supplier",
        "dispatch",
        "arrive",
        "clear_customs",
        "confirm_delivery",
        "close",
    ]
    assert all(e.actor_id for e in events)
    assert [(e.from_state, e.to_state) for e in events][1] == ("draft", "submitted")
