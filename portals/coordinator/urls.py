"""URLs of the coordinator portal (names are prefixed "coordinator-")."""

from django.urls import path

from portals.coordinator import money, views

urlpatterns = [
    path("", views.queue, name="coordinator-queue"),
    path("physicians", views.physician_suggestions, name="coordinator-physicians"),
    path("cases/<int:pk>/", views.case_detail, name="coordinator-case"),
    path("cases/<int:pk>/assign", views.assign_to_me, name="coordinator-assign"),
    path(
        "cases/<int:pk>/actions/<slug:transition>",
        views.case_transition_view,
        name="coordinator-transition",
    ),
    path("cases/<int:pk>/documents", views.document_upload, name="coordinator-upload"),
    path("cases/<int:pk>/application", views.application_update, name="coordinator-application"),
    path(
        "cases/<int:pk>/temperature-log",
        views.temperature_log,
        name="coordinator-temperature-log",
    ),
    path("cases/<int:pk>/resupply", views.resupply, name="coordinator-resupply"),
    path(
        "cases/<int:pk>/side-effects/<int:report_pk>/acknowledge",
        views.adverse_event_acknowledge_view,
        name="coordinator-adverse-event-acknowledge",
    ),
    path(
        "cases/<int:pk>/side-effects/<int:report_pk>/send",
        views.adverse_event_send_view,
        name="coordinator-adverse-event-send",
    ),
    path("cases/<int:pk>/payer", money.payer_view, name="coordinator-payer"),
    path("cases/<int:pk>/quotation", money.quote_view, name="coordinator-quote"),
    path("quotations/<int:pk>/accept", money.accept_view, name="coordinator-quote-accept"),
    path("cases/<int:pk>/payments", money.payment_view, name="coordinator-payment"),
    path("cases/<int:pk>/waiver", money.waive_view, name="coordinator-waive"),
    path("cases/<int:pk>/refunds", money.refund_view, name="coordinator-refund"),
    path("documents/<int:pk>/review", views.document_review_view, name="coordinator-review"),
    path("cases/<int:pk>/generated", views.generated_documents, name="coordinator-generated"),
    path("generated/<int:pk>/retry", views.render_retry, name="coordinator-render-retry"),
]
