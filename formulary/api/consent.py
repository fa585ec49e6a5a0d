"""tmp"""
from formulary.api.blueprint import ApiBlueprint

blp = ApiBlueprint("api_consent", __name__)
