"""URLs of the physician portal (names are prefixed "physician-")."""

urlpatterns: list = []
