"""URLs of the coordinator portal (names are prefixed "coordinator-")."""

urlpatterns: list = []
