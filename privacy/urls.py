from django.urls import path

from privacy import views

urlpatterns = [
    path("", views.review_queue, name="review_queue"),
]
