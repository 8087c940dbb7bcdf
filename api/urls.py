"""/api/: version 1 of the REST API, its schema and its readers."""

from django.urls import path, re_path

from api.views import cases, docs, documents, milestones, misc, money, webhooks
from orders.services import TRANSITION_NAMES

app_name = "api"

urlpatterns = [
    path("schema/", docs.Schema.as_view(), name="schema"),
    path("docs/", docs.SwaggerUI.as_view(), name="swagger-ui"),
    path("redoc/", docs.Redoc.as_view(), name="redoc"),
    path("v1/cases", cases.CaseList.as_view(), name="cases"),
    path("v1/cases/<str:reference>", cases.CaseDetail.as_view(), name="case"),
    path("v1/cases/<str:reference>/timeline", cases.CaseTimeline.as_view(), name="case-timeline"),
    path(
        "v1/cases/<str:reference>/documents",
        documents.CaseDocuments.as_view(),
        name="case-documents",
    ),
    path(
        "v1/cases/<str:reference>/adverse-events",
        misc.CaseAdverseEvents.as_view(),
        name="case-adverse-events",
    ),
    path(
        "v1/cases/<str:reference>/quotations",
        money.CaseQuotations.as_view(),
        name="case-quotations",
    ),
    path("v1/cases/<str:reference>/invoices", money.CaseInvoices.as_view(), name="case-invoices"),
    path(
        "v1/cases/<str:reference>/milestones",
        milestones.CaseMilestones.as_view(),
        name="case-milestones",
    ),
    *[
        path(
            f"v1/cases/<str:reference>/transitions/{name}",
            cases.transition_view(name).as_view(),
            name=f"case-transition-{name}",
        )
        for name in TRANSITION_NAMES
    ],
    path(
        "v1/documents/<int:id>/download",
        documents.DocumentDownload.as_view(),
        name="document-download",
    ),
    path("v1/inbox", misc.Inbox.as_view(), name="inbox"),
    path("v1/inbox/<int:id>/read", misc.InboxRead.as_view(), name="inbox-read"),
    path("v1/webhooks", webhooks.Subscriptions.as_view(), name="webhooks"),
    path("v1/webhooks/<int:id>", webhooks.Subscription.as_view(), name="webhook"),
    path(
        "v1/webhooks/<int:id>/deliveries", webhooks.Deliveries.as_view(), name="webhook-deliveries"
    ),
    # Last: whatever else is asked under v1 is a problem+json 404.
    re_path(r"^v1/", misc.NoSuchResource.as_view(), name="no-such-resource"),
]
