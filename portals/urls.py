"""The portals' URLs: one module per audience, combined here."""

from django.urls import include, path

from portals import home, language, live, preferences, tokens

app_name = "orders"
urlpatterns = [
    path("", home.home, name="home"),
    path("language", language.language_set, name="language"),
    path("inbox/count", live.inbox_count, name="inbox-count"),
    path(
        "preferences/notifications",
        preferences.notification_preferences,
        name="notification-preferences",
    ),
    path("work/", include("portals.coordinator.urls")),
    path("physician/", include("portals.physician.urls")),
    path("my/", include("portals.patient.urls")),
    path("security/api-tokens/", tokens.tokens, name="api-tokens"),
    path("security/api-tokens/<int:pk>/revoke", tokens.token_revoke_view, name="api-token-revoke"),
]
