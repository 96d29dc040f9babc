from django.urls import path

from steward.interop import views

app_name = "interop"

urlpatterns = [
    path("exports/<str:log_format>/", views.export, name="export"),
]
