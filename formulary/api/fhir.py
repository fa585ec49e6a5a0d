"""API: a patient's allergies as HL7 FHIR R4 AllergyIntolerance resources, out and in."""

from formulary.api.blueprint import ApiBlueprint

blp = ApiBlueprint("api_fhir", __name__, description="FHIR R4 exchange of allergies (AllergyIntolerance)")
