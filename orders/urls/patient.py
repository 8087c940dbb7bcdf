"""URLs of the patient portal (names are prefixed "patient-")."""

urlpatterns: list = []
