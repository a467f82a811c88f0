from django.urls import path

from ingestion import views

urlpatterns = [
    path("collections/", views.collection_list, name="collections"),
    path("collections/new/", views.collection_edit, name="collection_create"),
    path("collections/<slug:slug>/", views.collection_detail, name="collection_detail"),
    path("collections/<slug:slug>/edit/", views.collection_edit, name="collection_edit"),
    path("collections/<slug:slug>/delete/", views.collection_delete, name="collection_delete"),
    path("collections/<slug:slug>/upload/", views.document_upload, name="document_upload"),
    path("documents/<int:pk>/row/", views.document_row, name="document_row"),
    path("documents/<int:pk>/retry/", views.document_retry, name="document_retry"),
    path("documents/<int:pk>/delete/", views.document_delete, name="document_delete"),
]
