from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("unread-count", views.unread_count, name="unread_count"),
    path("read-all", views.mark_all_read, name="mark_all_read"),
    path("<int:pk>/", views.message, name="message"),
    path("<int:pk>/read", views.mark_read, name="mark_read"),
]
