"""What the data becomes for people off the screen: the printed wall map (挂图作战图).

``wallmap`` is the public entry (gather the filtered projects, render PDF or PNG); the other
modules are its parts: ``paper`` (sheet sizes, resolution, type size), ``fonts`` (the CJK
font by file path), ``mapframe`` (the map: outlines, projects, scale bar, north arrow),
``labels`` (numbered labels that do not overlap), ``flow`` and ``panels`` (legend, figures,
index table and red/yellow list laid out in columns).
"""
