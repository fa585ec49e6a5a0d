"""The pre-session check: is this cocktail safe for this patient on this day?"""
