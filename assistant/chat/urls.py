from django.urls import path

from assistant.chat import views as chat_views

urlpatterns = [
    path("", chat_views.chat, name="chat"),
    path("c/<int:conversation_id>/", chat_views.chat, name="chat_conversation"),
    path("ask", chat_views.ask, name="chat_ask"),
    path("exchanges/<uuid:public_id>/stream", chat_views.stream, name="chat_stream"),
    path("exchanges/<uuid:public_id>/cancel", chat_views.cancel, name="chat_cancel"),
    path(
        "exchanges/<uuid:public_id>/sources/<int:number>",
        chat_views.source,
        name="chat_source",
    ),
    path("exchanges/<uuid:public_id>/feedback", chat_views.feedback, name="chat_feedback"),
    path("documents/<int:pk>/file", chat_views.document_file, name="chat_document_file"),
]
