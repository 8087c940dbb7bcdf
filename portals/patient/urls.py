"""URLs of the patient portal (names are prefixed "patient-")."""

from django.urls import path

from portals.patient import views as patient

urlpatterns = [
    path("", patient.home, name="patient-home"),
    path("orders/<int:pk>/", patient.case_detail, name="patient-case"),
    path("orders/<int:pk>/documents/", patient.case_upload, name="patient-case-upload"),
    path("orders/<int:pk>/consent/", patient.case_consent, name="patient-case-consent"),
    path(
        "orders/<int:pk>/confirm-delivery/",
        patient.case_confirm_delivery,
        name="patient-case-confirm-delivery",
    ),
    path("orders/<int:pk>/side-effect/", patient.case_side_effect, name="patient-case-side-effect"),
    path(
        "orders/<int:pk>/quotation/accept/",
        patient.case_accept_quotation,
        name="patient-case-accept-quotation",
    ),
]
