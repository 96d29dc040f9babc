from django.urls import path

from steward.cmdb.views import baselines, classes, impact, imports, items, servicemap

app_name = "cmdb"

urlpatterns = [
    path("", items.ci_list, name="ci_list"),
    path("new/", items.ci_create, name="ci_create"),
    path("import/", imports.import_upload, name="import"),
    path("quality/", impact.quality, name="quality"),
    path("baselines/", baselines.baseline_list, name="baseline_list"),
    path("baselines/<int:pk>/", baselines.baseline_detail, name="baseline_detail"),
    path("<int:pk>/baseline/", baselines.baseline_create, name="baseline_create"),
    path("<int:pk>/", items.ci_detail, name="ci_detail"),
    path("<int:pk>/edit/", items.ci_edit, name="ci_edit"),
    path("<int:pk>/impact/", impact.ci_impact, name="ci_impact"),
    path("<int:pk>/map/", servicemap.service_map, name="service_map"),
    path("<int:pk>/relationships/", items.relationship_add, name="relationship_add"),
    path(
        "<int:pk>/relationships/<int:rel>/delete/",
        items.relationship_delete,
        name="relationship_delete",
    ),
    path("classes/", classes.citype_list, name="citype_list"),
    path("classes/new/", classes.citype_create, name="citype_create"),
    path("classes/<int:pk>/", classes.citype_detail, name="citype_detail"),
    path("classes/<int:pk>/edit/", classes.citype_edit, name="citype_edit"),
    path("classes/<int:pk>/attributes/", classes.attribute_create, name="attribute_create"),
    path("attributes/<int:pk>/edit/", classes.attribute_edit, name="attribute_edit"),
    path("attributes/<int:pk>/delete/", classes.attribute_delete, name="attribute_delete"),
    path("relationship-types/", classes.relationshiptype_list, name="relationshiptype_list"),
    path(
        "relationship-types/new/",
        classes.relationshiptype_create,
        name="relationshiptype_create",
    ),
    path(
        "relationship-types/<int:pk>/edit/",
        classes.relationshiptype_edit,
        name="relationshiptype_edit",
    ),
]
