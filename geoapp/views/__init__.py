"""Blueprints, one per audience or job."""

OFFICIAL_AUDIENCE = "internal"  # the map page and API serve officials until accounts land
