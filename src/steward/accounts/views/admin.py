"""Administration pages (being written)."""

from django.http import HttpResponse


def _pending(request, *args, **kwargs):
    return HttpResponse(status=501)


person_list = person_create = person_detail = person_edit = person_password = _pending
person_reset_second_factor = organisation_list = organisation_create = _pending
organisation_detail = organisation_edit = team_list = team_create = team_detail = _pending
team_edit = team_member_add = team_member_remove = role_list = role_detail = _pending
