from django.urls import path

from assistant.kpi import views

urlpatterns = [
    path("", views.kpi_dashboard, name="kpi_dashboard"),
    path("export.csv", views.kpi_export, name="kpi_export"),
]
