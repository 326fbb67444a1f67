from django.contrib import admin

from coresponse.people.models import IdentityLink, LinkModel, Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "dob", "agency", "external_id"]
    list_filter = ["agency"]
    search_fields = ["last_name", "first_name", "external_id", "phone"]


@admin.register(IdentityLink)
class IdentityLinkAdmin(admin.ModelAdmin):
    list_display = ["person_a", "person_b", "score", "status", "source", "decided_by"]
    list_filter = ["status"]
    raw_id_fields = ["person_a", "person_b"]


@admin.register(LinkModel)
class LinkModelAdmin(admin.ModelAdmin):
    """The trained versions of the linkage model (written by `coresponse link`)."""

    list_display = ["version", "created_at", "backend", "records", "auto_threshold"]
    readonly_fields = [f.name for f in LinkModel._meta.fields]

    def has_add_permission(self, request):
        return False
