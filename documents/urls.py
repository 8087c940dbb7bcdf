from django.urls import path

from documents import views

app_name = "documents"
urlpatterns = [
    path("<int:pk>/download", views.document_download, name="download"),
    path("<int:pk>/preview", views.document_preview, name="preview"),
    path("case/<int:case_pk>/upload", views.document_upload, name="upload"),
]
