from django.urls import path

from ingestion import views

urlpatterns = [
    path("collections/", views.collection_list, name="collections"),
]
