"""The chat page, source panel and original-file view."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from assistant.chat.services import answer_question
from ingestion.models import Document


@pytest.mark.django_db
def test_picker_lists_only_readable_collections(chat_users, client_for):
    page = client_for(chat_users["lea"]).get("/chat/").content.decode()
    assert 'value="9101"' in page and 'value="9103"' in page
    assert 'value="9102"' not in page and 'value="9104"' not in page
    assert "Finance" not in page


@pytest.mark.django_db
def test_french_ui_and_french_answer_language(chat_users, client_for):
    client = client_for(chat_users["hana"])
    page = client.get("/chat/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Nouvelle conversation" in page and "Votre question" in page
    exchange = answer_question(
        user=chat_users["hana"], question="Combien de jours de congés payés par an ?"
    )
    assert exchange.language == "fr"


@pytest.mark.django_db
def test_source_panel_highlights_the_matching_passage(chat_users, client_for):
    hana = chat_users["hana"]
    exchange = answer_question(user=hana, question="Can I carry over unused leave days?")
    client = client_for(hana)
    panel = client.get(f"/chat/exchanges/{exchange.public_id}/sources/1").content.decode()
    assert "<mark>" in panel and "carried over" in panel.split("<mark>")[1].split("</mark>")[0]
    assert "/chat/documents/9201/file#page=2" in panel
    # someone else's exchange does not exist for another user
    other = client_for(chat_users["ivan"])
    assert other.get(f"/chat/exchanges/{exchange.public_id}/sources/1").status_code == 404
    assert other.get(f"/chat/c/{exchange.conversation_id}/").status_code == 404


@pytest.mark.django_db
def test_original_file_only_for_readers(chat_users, client_for):
    document = Document.objects.get(pk=9201)
    document.file.save("leave.txt", ContentFile(b"Employees receive 27 days."), save=True)
    response = client_for(chat_users["hana"]).get("/chat/documents/9201/file")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"Employees receive 27 days."
    assert client_for(chat_users["felix"]).get("/chat/documents/9201/file").status_code == 404
    assert client_for(chat_users["nora"]).get("/chat/documents/9201/file").status_code == 404


@pytest.mark.django_db
def test_html_in_documents_is_escaped_in_the_source_panel(chat_users, client_for):
    from ingestion.models import Chunk

    Chunk.objects.filter(document_id=9202).update(
        text="Remote work <script>alert('x')</script> is allowed up to three days per week."
    )
    hana = chat_users["hana"]
    exchange = answer_question(user=hana, question="How many days per week can I work remotely?")
    number = exchange.citations.get(document_id_at_answer=9202).number
    panel = client_for(hana).get(f"/chat/exchanges/{exchange.public_id}/sources/{number}")
    html = panel.content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


@pytest.mark.django_db
def test_no_javascript_post_answers_and_redirects(chat_users, client_for):
    client = client_for(chat_users["hana"])
    response = client.post("/chat/ask", {"question": "How many days of paid annual leave?"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "According to the documents" in page and 'class="cite"' in page
