from django.urls import path

from steward.interop import views

app_name = "interop"

urlpatterns = [
    path("", views.importrun_list, name="importrun_list"),
    path("<int:pk>/", views.importrun_detail, name="importrun_detail"),
]
