"""The investors' site (招商地图): what a park offers, computed from the public layers.

``sites`` names the layers and values the pages rely on; ``fields`` turns a row into labelled
text; ``figures`` counts land per park from the parcels; ``landmarks`` measures distances;
``parks`` and ``vacancies`` assemble what the pages show; ``compare`` puts up to four sites side
by side; ``leads`` keeps the enquiries.
Everything here reads public layers and public fields only: internal data never enters.
"""
