"""Catalogue: products, their composition and their GTINs."""
