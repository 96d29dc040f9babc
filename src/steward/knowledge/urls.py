from django.urls import path

from steward.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("new/", views.article_create, name="article_create"),
    path("suggest/", views.suggest, name="suggest"),
    path("categories/", views.category_list, name="category_list"),
    path("<int:pk>/", views.article_detail, name="article_detail"),
    path("<int:pk>/edit/", views.article_edit, name="article_edit"),
    path("<int:pk>/to/<str:to>/", views.article_transition, name="article_transition"),
    path("<int:pk>/diff/", views.article_diff, name="article_diff"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="version_detail"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("<int:pk>/feedback/", views.article_feedback, name="article_feedback"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("incidents/<str:number>/resolve/", views.resolve_incident, name="resolve_incident"),
]
