from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from assistant import views

handler403 = "assistant.views.permission_denied"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("chat/", include("assistant.chat.urls")),
    path("manage/", include("ingestion.urls")),
    path("compliance/", include("privacy.urls")),
    path("kpi/", include("assistant.kpi.urls")),
    path("django-admin/", admin.site.urls),
]
