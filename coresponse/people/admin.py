from django.contrib import admin

from coresponse.people.models import IdentityLink, Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "dob", "agency", "external_id"]
    list_filter = ["agency"]
    search_fields = ["last_name", "first_name", "external_id", "phone"]


@admin.register(IdentityLink)
class IdentityLinkAdmin(admin.ModelAdmin):
    list_display = ["person_a", "person_b", "score", "status", "decided_by"]
    list_filter = ["status"]
    raw_id_fields = ["person_a", "person_b"]
