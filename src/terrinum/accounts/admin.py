from django.contrib import admin

from terrinum.accounts.models import Membership, Organisation


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("nom", "type", "territoire_niveau", "territoire_code")
    list_filter = ("type",)
    search_fields = ("nom", "territoire_code")
    filter_horizontal = ("collectivites_servies",)
    inlines = [MembershipInline]
