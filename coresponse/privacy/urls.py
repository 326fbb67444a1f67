from django.urls import path

from coresponse.privacy import views

app_name = "privacy"

urlpatterns = [
    path("people/<int:pk>/consents/", views.person_consents, name="person_consents"),
    path("people/<int:pk>/accounting/", views.accounting, name="accounting"),
    path("people/<int:pk>/break-glass/", views.break_glass, name="break_glass"),
    path("consents/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("consents/<int:pk>/document/", views.consent_document, name="consent_document"),
    path("agreements/", views.agreements, name="agreements"),
    path("break-glass/review/", views.review_queue, name="review_queue"),
    path("audit/", views.audit_log, name="audit_log"),
]
