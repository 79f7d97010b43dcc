"""What the data becomes for people off the screen: printed and downloaded documents.

The printed wall map (挂图作战图): ``wallmap`` is its entry (gather the filtered projects,
render PDF or PNG); its parts are ``paper`` (sheet sizes, resolution, type size), ``fonts``
(the CJK font by file path), ``mapframe`` (the map: outlines, projects, scale bar, north
arrow), ``labels`` (numbered labels that do not overlap), ``flow`` and ``panels`` (legend,
figures, index table and red/yellow list laid out in columns). ``parcel_sheet`` is an
investor's one-page A4 PDF of a parcel; ``compare_sheet`` the A4 landscape comparison of up to
four sites (a map from ``mapframe``, the table laid out by ``flow``).
"""
