"""tmp"""
from formulary.api.blueprint import ApiBlueprint

blp = ApiBlueprint("api_courses", __name__)
