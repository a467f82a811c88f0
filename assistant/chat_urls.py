from django.urls import path

from assistant import chat_views

urlpatterns = [
    path("", chat_views.chat, name="chat"),
]
