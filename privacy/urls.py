from django.urls import path

from privacy import views

urlpatterns = [
    path("", views.review_queue, name="review_queue"),
    path("export.<str:fmt>", views.review_export, name="review_export"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/decide", views.review_decide, name="review_decide"),
    path("reviews/<int:pk>/annotate", views.review_annotate, name="review_annotate"),
]
