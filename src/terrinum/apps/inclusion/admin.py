from django.contrib import admin

from terrinum.apps.inclusion.models import Lieu, LieuChangement


class ChangementInline(admin.TabularInline):
    model = LieuChangement
    extra = 0
    readonly_fields = ("quand", "auteur", "origine", "changements")
    can_delete = False


@admin.register(Lieu)
class LieuAdmin(admin.ModelAdmin):
    list_display = ("nom", "commune", "code_postal", "commune_code", "comptoir_numerique", "pass_numerique", "organisation")
    list_filter = ("comptoir_numerique", "pass_numerique")
    search_fields = ("identifiant", "nom", "commune", "code_postal", "pivot")
    raw_id_fields = ("organisation",)
    inlines = [ChangementInline]
