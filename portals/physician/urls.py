"""URLs of the physician portal (names are prefixed "physician-")."""

from django.urls import path

from portals.physician import views as physician

urlpatterns = [
    path("", physician.home, name="physician-home"),
    path("patients/", physician.patients, name="physician-patients"),
    path("cases/new/", physician.case_new, name="physician-case-new"),
    path("cases/<int:pk>/", physician.case_detail, name="physician-case"),
    path("cases/<int:pk>/edit/", physician.case_edit, name="physician-case-edit"),
    path("cases/<int:pk>/submit/", physician.case_submit, name="physician-case-submit"),
    path("cases/<int:pk>/cancel/", physician.case_cancel, name="physician-case-cancel"),
    path("cases/<int:pk>/documents/", physician.case_upload, name="physician-case-upload"),
    path("cases/<int:pk>/answer/", physician.case_answer, name="physician-case-answer"),
    path("cases/<int:pk>/sign/", physician.case_sign, name="physician-case-sign"),
    path("cases/<int:pk>/resupply/", physician.case_resupply, name="physician-case-resupply"),
    path(
        "cases/<int:pk>/quotation/accept/",
        physician.case_accept_quotation,
        name="physician-case-accept-quotation",
    ),
    path(
        "cases/<int:pk>/side-effect/",
        physician.case_adverse_event,
        name="physician-case-adverse-event",
    ),
]
